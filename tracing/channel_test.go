package tracing

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// python3 returns the Python interpreter, or skips (fails in CI).
func python3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv(testsupport.RequireKLayoutEnv) != "" {
			t.Fatalf("python3 not found: apt-get install python3")
		}
		t.Skip("python3 not installed")
	}
	return p
}

// runBuild runs a Python build script with the cycle's environment, as
// the loop would (LYWATCH_TARGET names the target), and returns its
// output.
func runBuild(t *testing.T, interp, script string, env []string, target string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "build.py")
	if err := os.WriteFile(p, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{p}
	if strings.HasSuffix(interp, "klayout") {
		args = []string{"-b", "-r", p}
	}
	cmd := exec.Command(interp, args...)
	cmd.Env = append(append(os.Environ(), "LYWATCH_TARGET="+target, "HOME="+t.TempDir()), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", interp, err, out.String())
	}
	return out.String()
}

// shown collects the frames a cycle shows live.
type shown struct {
	mu     sync.Mutex
	frames []Frame
}

func (s *shown) show(_ context.Context, f Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, f)
}

func (s *shown) last() (Frame, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.frames) == 0 {
		return Frame{}, 0
	}
	return s.frames[len(s.frames)-1], len(s.frames)
}

// waitShown waits until the newest frame shown is seq.
func (s *shown) waitShown(t *testing.T, seq int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if f, _ := s.last(); f.Seq == seq {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	f, n := s.last()
	t.Fatalf("frame %d never shown: last shown %d of %d", seq, f.Seq, n)
}

func TestFramesFromPython(t *testing.T) {
	py := python3(t)
	ch, err := Open(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	var sh shown
	cy, env, err := ch.Begin(context.Background(), 1, []string{"chip"}, sh.show, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	gds := filepath.Join(t.TempDir(), "given.gds")
	if err := os.WriteFile(gds, []byte("GDS bytes of a path"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`
import os, lywatch_trace
class Component:          # gdsfactory's: write_gds
    name = "comp"
    def write_gds(self, path):
        open(path, "w").write("component")
class KCell:              # kfactory's and pya's: write
    name = "kcell"
    def write(self, path):
        open(path, "w").write("kcell")
assert lywatch_trace.enabled()
assert lywatch_trace.frame(%q, label="a path")
assert lywatch_trace.frame(Component(), label="a component")
assert lywatch_trace.frame(KCell())
try:
    lywatch_trace.frame(42)
except TypeError as e:
    print("refused:", e)
print(os.environ["KFACTORY_SHOW_FUNCTION"])
`, gds)
	out := runBuild(t, py, script, env, "chip")
	if !strings.Contains(out, "refused: lywatch_trace.frame: cannot write a int") || !strings.Contains(out, ShowFunction) {
		t.Errorf("build output:\n%s", out)
	}
	sh.waitShown(t, 3)
	frames, dropped := cy.Take("chip")
	if len(frames) != 3 || dropped != 0 {
		t.Fatalf("%d frames, %d dropped: %+v", len(frames), dropped, frames)
	}
	want := []struct{ label, cell, content string }{
		{"a path", "", "GDS bytes of a path"}, {"a component", "comp", "component"}, {"", "kcell", "kcell"},
	}
	for i, f := range frames {
		b, err := os.ReadFile(f.Path)
		if err != nil || string(b) != want[i].content || f.Label != want[i].label || f.Cell != want[i].cell || f.Seq != i+1 {
			t.Errorf("frame %d: %+v holding %q (%v); want %+v", i+1, f, b, err, want[i])
		}
	}
}

// TestFloodIsBounded: a build writing far more frames than the bounds,
// from several processes at once, leaves exactly the bound, the rest
// counted.
func TestFloodIsBounded(t *testing.T) {
	py := python3(t)
	tests := []struct {
		name        string
		limits      Limits
		procs, each int
		size        int
		wantKept    int
	}{
		{"count", Limits{Frames: 25, Bytes: 1 << 30}, 4, 30, 1000, 25},
		{"bytes", Limits{Frames: 1000, Bytes: 10 * 1000}, 2, 20, 1000, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := Open(tt.limits)
			if err != nil {
				t.Fatal(err)
			}
			defer ch.Close()
			cy, env, err := ch.Begin(context.Background(), 1, []string{"default"}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			script := fmt.Sprintf(`
import multiprocessing, lywatch_trace
class Blob:
    def write(self, path):
        open(path, "wb").write(b"x" * %d)
def flood(_):
    return sum(lywatch_trace.frame(Blob()) for _ in range(%d))
if __name__ == "__main__":
    with multiprocessing.Pool(%d) as p:
        print("kept", sum(p.map(flood, range(%d))))
`, tt.size, tt.each, tt.procs, tt.procs)
			out := runBuild(t, py, script, env, "")
			if !strings.Contains(out, fmt.Sprintf("kept %d", tt.wantKept)) {
				t.Errorf("the build says %q, want kept %d", out, tt.wantKept)
			}
			frames, dropped := cy.Take("default")
			if len(frames) != tt.wantKept || dropped != tt.procs*tt.each-tt.wantKept {
				t.Errorf("%d kept, %d dropped; want %d, %d", len(frames), dropped, tt.wantKept, tt.procs*tt.each-tt.wantKept)
			}
			files, _ := filepath.Glob(filepath.Join(ch.Dir(), "cycles", "1", "default", "*.gds"))
			if len(files) != tt.wantKept {
				t.Errorf("%d layout files in the folder, want %d: frames past the bounds must not be kept", len(files), tt.wantKept)
			}
		})
	}
}

// TestCollectorBoundsWhatBuildsWrite: the bounds hold even for a build
// that writes records without the module, and bad records are counted.
func TestCollectorBoundsWhatBuildsWrite(t *testing.T) {
	ch, err := Open(Limits{Frames: 2, Bytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	cy, _, err := ch.Begin(context.Background(), 7, []string{"chip"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ch.Dir(), "cycles", "7", "chip")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 4; i++ {
		write(fmt.Sprintf("%06d.gds", i), "0123456789")
		write(fmt.Sprintf("%06d.json", i), fmt.Sprintf(`{"seq": %d, "file": "%06d.gds", "size": 10, "time": 1.5}`, i, i))
	}
	write("000009.json", `{"seq": 9, "file": "../../../etc/passwd", "size": 10, "time": 1}`)
	write("000010.json", `{"seq": 10, "file": "000010.gds", "size": 10, "time": 1}`) // no layout
	frames, dropped := cy.Take("chip")
	if len(frames) != 2 || frames[0].Seq != 1 || frames[1].Seq != 2 || dropped != 4 {
		t.Errorf("frames %+v, dropped %d; want 1 and 2, 4 dropped", frames, dropped)
	}
}

func TestBeginEnvironment(t *testing.T) {
	ch, err := Open(Limits{Frames: 5, Bytes: 999})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	getenv := func(k string) string {
		return map[string]string{"PYTHONPATH": "/site", EnvShowFunction: "mine.show"}[k]
	}
	_, env, err := ch.Begin(context.Background(), 3, []string{"a", "default"}, nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(env, "\n")
	for _, want := range []string{
		EnvDir + "=" + filepath.Join(ch.Dir(), "cycles", "3"),
		EnvFrames + "=5", EnvBytes + "=999",
		"PYTHONPATH=" + ch.PythonPath() + string(os.PathListSeparator) + "/site",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("environment lacks %s:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, EnvShowFunction) {
		t.Errorf("the user's own %s was overridden:\n%s", EnvShowFunction, joined)
	}
	if _, err := os.Stat(filepath.Join(ch.PythonPath(), ModuleName, "__init__.py")); err != nil {
		t.Error(err)
	}
	// The next cycle removes this one's folder (in the background).
	if _, _, err := ch.Begin(context.Background(), 4, []string{"a"}, nil, getenv); err != nil {
		t.Fatal(err)
	}
	ch.retiring.Wait()
	if _, err := os.Stat(filepath.Join(ch.Dir(), "cycles", "3")); !os.IsNotExist(err) {
		t.Errorf("cycle 3's folder is left: %v", err)
	}
	// End, when the loop goes idle, removes the current cycle's folder.
	ch.End()
	ch.retiring.Wait()
	if _, err := os.Stat(filepath.Join(ch.Dir(), "cycles", "4")); !os.IsNotExist(err) {
		t.Errorf("End left cycle 4's folder: %v", err)
	}
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ch.Dir()); !os.IsNotExist(err) {
		t.Errorf("Close left %s", ch.Dir())
	}
}

func TestDisabledOutsideLywatch(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	if err := WriteModule(dir); err != nil {
		t.Fatal(err)
	}
	out := runBuild(t, py, `
import lywatch_trace
print(lywatch_trace.enabled(), lywatch_trace.frame("/nonexistent.gds"))
lywatch_trace.trace_inserts()
`, []string{"PYTHONPATH=" + dir, "LYWATCH_TRACE="}, "")
	if strings.TrimSpace(out) != "False False" {
		t.Errorf("outside lywatch: %q", out)
	}
}
