//go:build unix

package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestMain makes the test binary a guard when it is started as one
// (Runner.Guard = Self() in the guarded mode of eachMode), or a stand-in
// lywatch running one build (parentEnv).
func TestMain(m *testing.M) {
	if code, ok := GuardMain(os.Args[1:]); ok {
		os.Exit(code)
	}
	if script := os.Getenv(parentEnv); script != "" {
		os.Exit(runParent(script))
	}
	// Built with -race, the guards (this binary) would each sleep 1 s
	// on exit (the race runtime's default atexit_sleep_ms).
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

func newRunner(out *testsupport.Buffer) *Runner {
	return &Runner{Stdout: out, Stderr: out, Grace: 200 * time.Millisecond}
}

// eachMode runs f three times: with builds supervised by the test process
// itself ("local"), under a guard process started for each build, the
// test binary ("guarded"), and under spare guards started ahead of time
// ("spare": see Runner.Prepare; closed when the test ends). f gets the
// newRunner of its mode.
func eachMode(t *testing.T, f func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner)) {
	for _, m := range []struct {
		name  string
		guard string
		spare bool
	}{{"local", "", false}, {"guarded", Self(), false}, {"spare", Self(), true}} {
		t.Run(m.name, func(t *testing.T) {
			f(t, func(out *testsupport.Buffer) *Runner {
				r := newRunner(out)
				r.Guard = m.guard
				if m.spare {
					if err := r.Prepare(); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(r.Close)
				}
				return r
			})
		})
	}
}

func TestRunExitStatus(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		tests := []struct {
			cmd    []string
			code   int
			ok     bool
			status string
		}{
			{[]string{"true"}, 0, true, "build exit 0 in "},
			{[]string{"sh", "-c", "exit 3"}, 3, false, "build exit 3 in "},
			{[]string{"sh", "-c", "kill -KILL $$"}, -1, false, "build killed by signal: killed in "},
		}
		for _, tt := range tests {
			var out testsupport.Buffer
			res := newRunner(&out).Run(context.Background(), Request{Command: tt.cmd})
			if res.ExitCode != tt.code || res.OK() != tt.ok || res.Err != nil {
				t.Errorf("%v: got %+v, want exit %d ok %v", tt.cmd, res, tt.code, tt.ok)
			}
			if !strings.Contains(out.String(), tt.status) {
				t.Errorf("%v: output %q lacks status %q", tt.cmd, out.String(), tt.status)
			}
		}
	})
}

func TestRunStartError(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		var out testsupport.Buffer
		r := newRunner(&out)
		for _, cmd := range [][]string{nil, {"/nonexistent/lywatch-build"}} {
			res := r.Run(context.Background(), Request{Command: cmd})
			if res.Err == nil || res.OK() {
				t.Errorf("%v: got %+v, want an error", cmd, res)
			}
		}
	})
}

func TestOutputIsPrefixed(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		var out testsupport.Buffer
		r := newRunner(&out)
		r.NoStatus = true
		res := r.Run(context.Background(), Request{Label: "chip", Command: []string{"sh", "-c", "echo one; echo two >&2; printf three"}})
		if !res.OK() {
			t.Fatalf("build failed: %+v", res)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		want := map[string]bool{"[chip] one": true, "[chip] two": true, "[chip] three": true}
		if len(lines) != 3 {
			t.Fatalf("got lines %q", lines)
		}
		for _, l := range lines {
			if !want[l] {
				t.Errorf("unexpected line %q in %q", l, lines)
			}
		}
	})
}

// A failed build's last line (a Python traceback's exception) is kept for
// whoever tells the user, KLayout's status bar among them.
func TestLastLine(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		var out testsupport.Buffer
		r := newRunner(&out)
		r.NoStatus = true
		script := `echo building; echo 'Traceback (most recent call last):' >&2; echo 'ZeroDivisionError: division by zero' >&2; echo >&2; exit 1`
		res := r.Run(context.Background(), Request{Label: "chip", Command: []string{"sh", "-c", script}})
		if res.OK() || res.LastLine != "ZeroDivisionError: division by zero" {
			t.Errorf("result %+v, want the exception as its last line", res)
		}
	})
}

func TestEnvironment(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		dir := t.TempDir()
		var out testsupport.Buffer
		r := newRunner(&out)
		r.Dir = dir
		events := []byte(`{"changes":[{"path":"/a.py"}]}`)
		script := `printf '%s' "$LYWATCH_CHANGED" > changed; cat "$LYWATCH_EVENTS_FILE" > events; echo "$LYWATCH_EVENTS_FILE" > name; echo "$EXTRA" > extra`
		res := r.Run(context.Background(), Request{
			Command: []string{"sh", "-c", script},
			Changed: []string{"/a.py", "/b c.py"},
			Events:  events,
			Env:     []string{"EXTRA=1", "EXTRA=2"},
		})
		if !res.OK() {
			t.Fatalf("build failed: %+v\n%s", res, out.String())
		}
		read := func(name string) string {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if got := read("changed"); got != "/a.py\n/b c.py" {
			t.Errorf("LYWATCH_CHANGED = %q", got)
		}
		if got := read("events"); got != string(events) {
			t.Errorf("events file holds %q", got)
		}
		if got := read("extra"); got != "2\n" {
			t.Errorf("EXTRA = %q, want the last value", got)
		}
		if _, err := os.Stat(strings.TrimSpace(read("name"))); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("events file not removed after the build: %v", err)
		}
		var v any
		if err := json.Unmarshal([]byte(read("events")), &v); err != nil {
			t.Errorf("events file is not JSON: %v", err)
		}
	})
}

// waitFile waits until path holds a line and returns it.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s not written in time", path)
	return ""
}

// processGone reports whether pid no longer runs: it does not exist, or
// it is a zombie (orphans a test kills may be re-parented to the test
// binary, which does not reap them).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) || processState(pid) == "Z"
}

func TestStopLeavesNoProcess(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		tests := []struct {
			name   string
			script string
		}{
			{"shell waits", `sleep 1000 & echo $! > pid; wait`},
			{"SIGTERM ignored", `trap '' TERM; sleep 1000 & echo $! > pid; wait; wait`},
			{"subshell", `(sleep 1000 & echo $! > pid; wait) ; echo done`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				var out testsupport.Buffer
				r := newRunner(&out)
				r.Dir = dir
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan *Result, 1)
				go func() { done <- r.Run(ctx, Request{Command: []string{"sh", "-c", tt.script}}) }()
				pid, err := strconv.Atoi(waitFile(t, filepath.Join(dir, "pid")))
				if err != nil {
					t.Fatal(err)
				}
				cancel()
				var res *Result
				select {
				case res = <-done:
				case <-time.After(15 * time.Second):
					t.Fatal("Run did not return after cancel")
				}
				if !res.Stopped || res.OK() || res.Err != nil {
					t.Errorf("result %+v, want stopped", res)
				}
				if !processGone(pid) {
					t.Errorf("sleep (pid %d) still exists after the build was stopped", pid)
				}
				if !strings.Contains(out.String(), "build stopped in") {
					t.Errorf("no status line in %q", out.String())
				}
			})
		}
	})
}

func TestLeftoversStoppedAfterExit(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		dir := t.TempDir()
		var out testsupport.Buffer
		r := newRunner(&out)
		r.Dir = dir
		res := r.Run(context.Background(), Request{Command: []string{"sh", "-c", `sleep 1000 & echo $! > pid; exit 0`}})
		if !res.OK() {
			t.Fatalf("got %+v", res)
		}
		pid, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "pid")))
		if !processGone(pid) {
			t.Errorf("background sleep (pid %d) outlived its build", pid)
		}
	})
}

// TestBuildsSideBySide: builds of one Runner run at the same time (each
// waits until all have started), and the lines of each, and their status
// lines, come out whole.
func TestBuildsSideBySide(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		dir := t.TempDir()
		var out testsupport.Buffer
		r := newRunner(&out)
		r.Dir = dir
		const n = 4
		line := strings.Repeat("x", 3000)
		var wg sync.WaitGroup
		results := make([]*Result, n)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				script := fmt.Sprintf(`touch started%d; while [ $(ls | grep -c started) -lt %d ]; do sleep 0.01; done; for j in 1 2 3 4 5 6 7 8 9 10; do echo %d%s; done`, i, n, i, line)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				results[i] = r.Run(ctx, Request{Command: []string{"sh", "-c", script}, Label: fmt.Sprint("b", i)})
			}()
		}
		wg.Wait()
		for i, res := range results {
			if !res.OK() {
				t.Errorf("build %d: %+v (did they run one at a time?)", i, res)
			}
		}
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			ok := strings.Contains(l, " exit 0 in ")
			for i := range n {
				ok = ok || l == fmt.Sprintf("[b%d] %d%s", i, i, line)
			}
			if !ok {
				t.Fatalf("a line not whole: %.120q", l)
			}
		}
	})
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out testsupport.Buffer
	res := newRunner(&out).Run(ctx, Request{Command: []string{"true"}})
	if !res.Stopped {
		t.Errorf("got %+v, want stopped", res)
	}
}

// benchModes are the ways a build runs, for the benchmarks: supervised by
// the process itself, under the test binary as guard, and under the real
// lywatch binary as guard (built first; what lywatch does).
func benchModes(b *testing.B) []struct{ name, guard string } {
	bin := filepath.Join(b.TempDir(), "lywatch")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/lywatch/lywatch/cmd/lywatch").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return []struct{ name, guard string }{{"local", ""}, {"guard=test", Self()}, {"guard=lywatch", bin}}
}

// BenchmarkRun measures the runner's overhead around a build that does
// nothing: process group, pipes, events file, status line, and the guard.
func BenchmarkRun(b *testing.B) {
	req := Request{Command: []string{"true"}, Changed: []string{"/a.py"}, Events: []byte(`{}`)}
	for _, m := range benchModes(b) {
		b.Run(m.name, func(b *testing.B) {
			r := &Runner{Stdout: io.Discard, Stderr: io.Discard, Guard: m.guard}
			for b.Loop() {
				if res := r.Run(context.Background(), req); !res.OK() {
					b.Fatal(res)
				}
			}
		})
	}
}

// BenchmarkStop measures stopping a build whose shell waits on a child:
// from cancel to the whole group gone.
func BenchmarkStop(b *testing.B) {
	for _, m := range benchModes(b) {
		b.Run(m.name, func(b *testing.B) {
			dir := b.TempDir()
			r := &Runner{Dir: dir, Stdout: io.Discard, Stderr: io.Discard, Guard: m.guard}
			for b.Loop() {
				os.Remove(filepath.Join(dir, "up"))
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan *Result, 1)
				go func() {
					done <- r.Run(ctx, Request{Command: []string{"sh", "-c", "sleep 1000 & echo > up; wait"}})
				}()
				for {
					if _, err := os.Stat(filepath.Join(dir, "up")); err == nil {
						break
					}
					time.Sleep(time.Millisecond)
				}
				cancel()
				if res := <-done; !res.Stopped {
					b.Fatal(res)
				}
			}
		})
	}
}
