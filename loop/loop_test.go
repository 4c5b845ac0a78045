package loop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// fakeSource delivers the change sets a test sends.
type fakeSource struct {
	ch      chan watcher.ChangeSet
	mu      sync.Mutex
	ignored []string
}

func newFakeSource() *fakeSource { return &fakeSource{ch: make(chan watcher.ChangeSet)} }

func (f *fakeSource) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
func (f *fakeSource) Changes() <-chan watcher.ChangeSet { return f.ch }
func (f *fakeSource) IgnorePath(p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ignored = append(f.ignored, p)
}

func (f *fakeSource) send(t *testing.T, paths ...string) {
	t.Helper()
	var cs watcher.ChangeSet
	for _, p := range paths {
		cs.Changes = append(cs.Changes, watcher.Change{Path: p, Kind: watcher.Modified, OldHash: "a", NewHash: "b" + p})
	}
	select {
	case f.ch <- cs:
	case <-time.After(10 * time.Second):
		t.Fatal("loop does not take change sets")
	}
}

// harness runs the loop in the background on a temporary directory where
// the build script appends "CYCLE:CHANGED" lines to log.
type harness struct {
	t      *testing.T
	dir    string
	src    *fakeSource
	out    testsupport.Buffer
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, script string, edit func(o *Options)) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), src: newFakeSource(), done: make(chan error, 1)}
	o := Options{
		Source:  h.src,
		Targets: []Target{{Command: []string{"sh", "-c", script}, Output: filepath.Join(h.dir, "out.gds")}},
		Runner:  &runner.Runner{Dir: h.dir, Stdout: &h.out, Stderr: &h.out, Grace: time.Second},
		Out:     &h.out,
		Root:    h.dir,
	}
	if edit != nil {
		edit(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		_, err := Run(ctx, o)
		h.done <- err
	}()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
		h.done <- nil
	case <-time.After(15 * time.Second):
		h.t.Error("Run did not return after cancel")
	}
}

func (h *harness) path(name string) string { return filepath.Join(h.dir, name) }

// lines returns the lines of a file in the directory.
func (h *harness) lines(name string) []string {
	b, err := os.ReadFile(h.path(name))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle checks that cond stays true for a moment (no extra build comes).
func settle(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if !cond() {
			t.Fatalf("%s no longer holds", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const logScript = `printf '%s:%s\n' "$LYWATCH_CYCLE" "$(echo $LYWATCH_CHANGED)" >> log; touch out.gds`

func TestInitialBuildThenOnePerChange(t *testing.T) {
	h := start(t, logScript, nil)
	summaries := func(n int) func() bool {
		return func() bool { return strings.Count(h.out.String(), "ok → out.gds") == n }
	}
	waitFor(t, "the start-up build", summaries(1))
	h.src.send(t, h.path("a.py"))
	waitFor(t, "a build for a.py", summaries(2))
	h.src.send(t, h.path("b.py"), h.path("c.py"))
	waitFor(t, "a build for b.py and c.py", func() bool { return len(h.lines("log")) == 3 })
	settle(t, "three builds", func() bool { return len(h.lines("log")) == 3 })
	want := []string{"1:", "2:" + h.path("a.py"), "3:" + h.path("b.py") + " " + h.path("c.py")}
	if got := h.lines("log"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("builds %q, want %q", got, want)
	}
	waitFor(t, "summary lines", summaries(3))
	for _, s := range []string{"start-up → build ", "a.py changed → build ", "b.py, c.py changed → build "} {
		if !strings.Contains(h.out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, h.out.String())
		}
	}
	h.src.mu.Lock()
	defer h.src.mu.Unlock()
	if len(h.src.ignored) != 1 || h.src.ignored[0] != h.path("out.gds") {
		t.Errorf("IgnorePath got %q, want the output", h.src.ignored)
	}
}

func TestNoInitial(t *testing.T) {
	h := start(t, logScript, func(o *Options) { o.NoInitial = true })
	settle(t, "no build at start-up", func() bool { return len(h.lines("log")) == 0 })
	h.src.send(t, h.path("a.py"))
	waitFor(t, "a build for a.py", func() bool { return len(h.lines("log")) == 1 })
}

// blockScript logs, and in cycle 1 blocks in a child process until killed.
const blockScript = logScript + `; if [ "$LYWATCH_CYCLE" = 1 ]; then (sleep 1000 & echo $! > pid; wait); fi`

func TestRestartStopsBuildAndKeepsChanges(t *testing.T) {
	h := start(t, blockScript, func(o *Options) { o.NoInitial = true })
	h.src.send(t, h.path("a.py"))
	waitFor(t, "build 1 to block", func() bool { return len(h.lines("pid")) == 1 && h.lines("pid")[0] != "" })
	pid, _ := strconv.Atoi(h.lines("pid")[0])
	h.src.send(t, h.path("b.py"))
	waitFor(t, "build 2", func() bool { return len(h.lines("log")) == 2 })
	if got, want := h.lines("log")[1], "2:"+h.path("a.py")+" "+h.path("b.py"); got != want {
		t.Errorf("restarted build saw %q, want %q", got, want)
	}
	if !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		t.Errorf("the stopped build's sleep (pid %d) is still there", pid)
	}
	settle(t, "two builds", func() bool { return len(h.lines("log")) == 2 })
}

func TestQueueWaitsAndMerges(t *testing.T) {
	script := logScript + `; if [ "$LYWATCH_CYCLE" = 1 ]; then while [ ! -e go ]; do sleep 0.01; done; fi`
	h := start(t, script, func(o *Options) { o.NoInitial = true; o.OnBusy = runner.Queue })
	h.src.send(t, h.path("a.py"))
	waitFor(t, "build 1", func() bool { return len(h.lines("log")) == 1 })
	h.src.send(t, h.path("b.py"))
	h.src.send(t, h.path("c.py"))
	settle(t, "build 1 still running alone", func() bool { return len(h.lines("log")) == 1 })
	if err := os.WriteFile(h.path("go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "build 2", func() bool { return len(h.lines("log")) == 2 })
	settle(t, "two builds", func() bool { return len(h.lines("log")) == 2 })
	if got, want := h.lines("log")[1], "2:"+h.path("b.py")+" "+h.path("c.py"); got != want {
		t.Errorf("queued build saw %q, want %q", got, want)
	}
	if strings.Contains(h.out.String(), "stopped") {
		t.Errorf("queue mode stopped a build:\n%s", h.out.String())
	}
}

func TestFailedBuildRunsNoHooksAndWatchingGoesOn(t *testing.T) {
	var mu sync.Mutex
	hooked := 0
	hook := func(ctx context.Context, b *Build) []StageReport {
		mu.Lock()
		defer mu.Unlock()
		hooked++
		return []StageReport{{Name: "push"}}
	}
	script := logScript + `; [ "$LYWATCH_CYCLE" != 1 ] || exit 3`
	h := start(t, script, func(o *Options) { o.Hooks.After = hook })
	waitFor(t, "the failed summary", func() bool { return strings.Contains(h.out.String(), "failed (exit 3)") })
	mu.Lock()
	if hooked != 0 {
		t.Errorf("hooks ran after a failed build")
	}
	mu.Unlock()
	h.src.send(t, h.path("a.py"))
	waitFor(t, "a good build with its hook", func() bool { return strings.Contains(h.out.String(), "→ push ") })
}

func TestHooksAndPlan(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	var order []string
	plan := func(ctx context.Context, c *Cycle) (*Plan, error) {
		return &Plan{Targets: []string{"ring"}, Env: []string{"STALE=ring_cell"}, Note: "1 cell stale"}, nil
	}
	after := func(ctx context.Context, b *Build) []StageReport {
		order = append(order, "after:"+b.Target.Name)
		return []StageReport{{Name: "read", Note: "2 cells"}, {Name: "push", Error: "refused"}}
	}
	o := Options{
		Targets: []Target{
			{Name: "chip", Command: []string{"sh", "-c", "exit 9"}},
			{Name: "ring", Command: []string{"sh", "-c", `echo "$STALE" > stale; echo x > ring.gds`}, Output: filepath.Join(dir, "ring.gds")},
		},
		Runner: &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out},
		Out:    &out, Root: dir, Once: true,
		Hooks: Hooks{Plan: plan, After: after},
	}
	code, err := Run(context.Background(), o)
	if err != nil || code != 1 {
		t.Fatalf("Run = %d, %v; want 1 (the push hook failed)", code, err)
	}
	if got := strings.Join(order, ","); got != "after:ring" {
		t.Errorf("hooks ran %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "stale")); string(b) != "ring_cell\n" {
		t.Errorf("plan env not given to the build: %q", b)
	}
	want := "ring: start-up → 1 cell stale → build "
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), " ok → ring.gds → read ") ||
		!strings.Contains(out.String(), " (2 cells) → push failed: refused\n") {
		t.Errorf("summary:\n%s\nwant %q ... read ... (2 cells) → push failed: refused", out.String(), want)
	}
}

// With one job at a time, the plan's order is the build order, whatever
// the configuration's; the targets it serves from the cache are shown
// first, with no build.
func TestPlanOrderAndCached(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	log := filepath.Join(dir, "log")
	build := func(name string) Target {
		return Target{Name: name, Command: []string{"sh", "-c", "echo " + name + " >> " + log}, Output: filepath.Join(dir, name+".gds")}
	}
	var shown []string
	o := Options{
		Targets: []Target{build("chip"), build("lib"), build("pads")},
		Runner:  &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out},
		Out:     &out, Root: dir, Once: true, Jobs: 1,
		Hooks: Hooks{
			Plan: func(context.Context, *Cycle) (*Plan, error) {
				return &Plan{Targets: []string{"lib", "chip"}, Cached: []string{"pads"}}, nil
			},
			Cached: func(_ context.Context, t Target) []StageReport {
				shown = append(shown, t.Name)
				return []StageReport{{Name: "push", DurationMS: 3, Note: "open"}}
			},
		},
	}
	if code, err := Run(context.Background(), o); code != 0 || err != nil {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if b, _ := os.ReadFile(log); string(b) != "lib\nchip\n" {
		t.Errorf("built %q, want lib then chip (the plan's order)", b)
	}
	if !reflect.DeepEqual(shown, []string{"pads"}) || !strings.Contains(out.String(), "pads: start-up → pads.gds from the cache, no build → push 3 ms (open)\n") {
		t.Errorf("cached targets shown %v; summary:\n%s", shown, out.String())
	}
}

func TestPlanNothingToBuild(t *testing.T) {
	h := start(t, logScript, func(o *Options) {
		o.NoInitial = true
		o.Hooks.Plan = func(ctx context.Context, c *Cycle) (*Plan, error) { return &Plan{Targets: []string{}}, nil }
	})
	h.src.send(t, h.path("a.py"))
	waitFor(t, "the summary", func() bool { return strings.Contains(h.out.String(), "a.py changed → nothing to rebuild") })
	if len(h.lines("log")) != 0 {
		t.Error("a build ran with an empty plan")
	}
}

func TestOnceExitStatus(t *testing.T) {
	tests := []struct {
		script string
		code   int
	}{
		{"exit 0", 0},
		{"exit 7", 7},
		{"kill -KILL $$", 1},
	}
	for _, tt := range tests {
		var out testsupport.Buffer
		code, err := Run(context.Background(), Options{
			Targets: []Target{{Command: []string{"sh", "-c", tt.script}}},
			Runner:  &runner.Runner{Stdout: &out, Stderr: &out},
			Out:     &out, Once: true,
		})
		if err != nil || code != tt.code {
			t.Errorf("%s: Run = %d, %v; want %d", tt.script, code, err, tt.code)
		}
	}
}

// TestTargetTimeout: a target's build that runs past its timeout is
// stopped and fails the cycle, saying it timed out.
func TestTargetTimeout(t *testing.T) {
	var out testsupport.Buffer
	code, err := Run(context.Background(), Options{
		Targets: []Target{{Command: []string{"sleep", "1000"}, Timeout: 100 * time.Millisecond}},
		Runner:  &runner.Runner{Stdout: &out, Stderr: &out, Grace: 200 * time.Millisecond},
		Out:     &out, Once: true,
	})
	if err != nil || code != 1 || !strings.Contains(out.String(), "failed (timed out)") {
		t.Errorf("Run = %d, %v; want 1 and a build that timed out\n%s", code, err, out.String())
	}
}

func TestQuitStopsBuild(t *testing.T) {
	h := start(t, blockScript, nil)
	waitFor(t, "the build to block", func() bool { return len(h.lines("pid")) == 1 && h.lines("pid")[0] != "" })
	pid, _ := strconv.Atoi(h.lines("pid")[0])
	h.stop()
	if !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		t.Errorf("sleep (pid %d) outlived lywatch", pid)
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(context.Background(), Options{}); !errors.Is(err, ErrNoTargets) {
		t.Errorf("no targets: %v", err)
	}
	if _, err := Run(context.Background(), Options{Targets: []Target{{Command: []string{"true"}}}, Runner: &runner.Runner{}}); err == nil {
		t.Error("no source: no error")
	}
}

// brokenSource fails at once, as a watcher that cannot watch does.
type brokenSource struct{ fakeSource }

func (b *brokenSource) Run(ctx context.Context) error { return errors.New("no inotify") }

func TestWatcherFailureEndsRun(t *testing.T) {
	var out testsupport.Buffer
	code, err := Run(context.Background(), Options{
		Source:    &brokenSource{fakeSource{ch: make(chan watcher.ChangeSet)}},
		Targets:   []Target{{Command: []string{"true"}}},
		Runner:    &runner.Runner{Stdout: &out, Stderr: &out},
		NoInitial: true,
	})
	if err == nil || !strings.Contains(err.Error(), "no inotify") || code == 0 {
		t.Errorf("Run = %d, %v; want the watcher's error", code, err)
	}
}

func TestUndoneChangeDuringQueuedBuildBuildsNothing(t *testing.T) {
	script := logScript + `; if [ "$LYWATCH_CYCLE" = 1 ]; then while [ ! -e go ]; do sleep 0.01; done; fi`
	h := start(t, script, func(o *Options) { o.OnBusy = runner.Queue; o.Logf = func(string, ...any) {} })
	waitFor(t, "build 1", func() bool { return len(h.lines("log")) == 1 })
	a := h.path("a.py")
	h.src.ch <- watcher.ChangeSet{Changes: []watcher.Change{{Path: a, Kind: watcher.Modified, OldHash: "1", NewHash: "2"}}}
	h.src.ch <- watcher.ChangeSet{Changes: []watcher.Change{{Path: a, Kind: watcher.Modified, OldHash: "2", NewHash: "1"}}}
	if err := os.WriteFile(h.path("go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "build 1's summary", func() bool { return strings.Contains(h.out.String(), "start-up → build") })
	settle(t, "no second build", func() bool { return len(h.lines("log")) == 1 })
}
