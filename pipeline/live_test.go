package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// The pipeline's hooks in a running loop, with real build commands, a
// fake watcher and a fake KLayout.

// testSource is a watcher whose change sets the test sends.
type testSource struct{ ch chan watcher.ChangeSet }

func (s *testSource) Run(ctx context.Context) error           { <-ctx.Done(); return nil }
func (s *testSource) Changes() <-chan watcher.ChangeSet       { return s.ch }
func (s *testSource) IgnorePath(string)                       {}
func (s *testSource) send(t *testing.T, cs watcher.ChangeSet) { t.Helper(); sendOrFail(t, s.ch, cs) }

func sendOrFail[T any](t *testing.T, ch chan<- T, v T) {
	t.Helper()
	select {
	case ch <- v:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop takes no change set")
	}
}

// runLoop runs the loop with p's hooks until the test ends; out gets the
// summary lines and the builds' output.
func runLoop(t *testing.T, p *Pipeline, src *testSource, out *testsupport.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := loop.Run(ctx, loop.Options{
			Source:  src,
			Targets: p.Targets(),
			Runner:  &runner.Runner{Dir: p.proj.Dir, Stdout: out, Stderr: out, Grace: time.Second},
			Out:     out,
			Root:    p.proj.Dir,
			Hooks:   loop.Hooks{Plan: p.Plan, After: p.After, Cached: p.Cached, Failed: p.Failed},
		})
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("loop.Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("loop.Run did not return")
		}
	})
}

// waitUntil polls cond; the limit is that of a broken loop, not a speed
// asked of it.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readLines returns a file's lines (none when it is missing).
func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// stuckPusher is a KLayout that accepts the first push and never answers
// it: the push returns only when its context is cancelled. Later pushes
// are answered at once.
type stuckPusher struct {
	fakePusher
	once    sync.Once
	started chan struct{}
	stopped chan error
}

func (p *stuckPusher) Push(ctx context.Context, l *ipc.Layout) (string, error) {
	first := false
	p.once.Do(func() { first = true })
	if !first {
		return p.fakePusher.Push(ctx, l)
	}
	close(p.started)
	<-ctx.Done()
	p.stopped <- ctx.Err()
	return "", ctx.Err()
}

// logTarget is chip with a build that logs "CYCLE:LYWATCH_CHANGED" (the
// paths on one line) to log, fails with exit 3 where $FAIL_CYCLE says,
// and otherwise writes the layout at layout.
func logTarget(log, layout string) config.Target {
	t := chipTarget()
	t.Command = []string{"sh", "-c", `printf '%s:%s\n' "$LYWATCH_CYCLE" "$(echo $LYWATCH_CHANGED)" >> '` + log + `'
[ "$LYWATCH_CYCLE" != "$FAIL_CYCLE" ] || exit 3
mkdir -p "$(dirname "$LYWATCH_OUTPUT")" && cp '` + layout + `' "$LYWATCH_OUTPUT"`}
	return t
}

// TestEditStopsTheStartUpPush: with a KLayout that never answers, an
// edit made while the session's layout is pushed at start-up stops that
// push, and the edit's build runs at once: it does not wait for the push
// timeout.
func TestEditStopsTheStartUpPush(t *testing.T) {
	tmp := t.TempDir()
	log, layout := filepath.Join(tmp, "log"), filepath.Join(tmp, "chip.gds")
	writeLayout(t, layout, map[string][]string{"chip": {"straight_L1"}, "straight_L1": nil}, nil)
	proj := testProject(t, copyMap(pdk), logTarget(log, layout))
	st := newFakeStore(t)
	ctx := context.Background()
	p := open(t, Options{Project: proj, Store: st})
	p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": {"straight_L1"}, "straight_L1": nil}, nil)

	pu := &stuckPusher{started: make(chan struct{}), stopped: make(chan error, 1)}
	p = open(t, Options{Project: proj, Store: st, Pusher: pu})
	if !p.ServesCache() {
		t.Fatal("the session is not served")
	}
	src := &testSource{ch: make(chan watcher.ChangeSet)}
	var out testsupport.Buffer
	runLoop(t, p, src, &out)
	select {
	case <-pu.started:
	case <-time.After(10 * time.Second):
		t.Fatalf("no start-up push:\n%s", out.String())
	}
	parts := filepath.Join(proj.Dir, "pdk/parts.py")
	writeTestFile(t, parts, strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1))
	src.send(t, edit(parts, sha("edited")))
	select {
	case <-pu.stopped:
	case <-time.After(10 * time.Second):
		t.Fatalf("the edit did not stop the start-up push:\n%s", out.String())
	}
	waitUntil(t, "the edit's build", func() bool { return len(readLines(log)) == 1 })
	if got, want := readLines(log)[0], "2:"+parts; got != want {
		t.Errorf("build saw %q, want %q", got, want)
	}
	waitUntil(t, "the edit's layout pushed", func() bool { return pu.count() == 1 })
	if s := out.String(); !strings.Contains(s, "from the cache, no build → stopped by a change") {
		t.Errorf("summary does not say the start-up push was stopped:\n%s", s)
	}
}

// TestFailedBuildsFilesReachTheNextBuild: a build that fails leaves its
// files to the next one: LYWATCH_CHANGED of the next build holds the files
// of every change since the last good build, and after a good build only
// the new ones.
func TestFailedBuildsFilesReachTheNextBuild(t *testing.T) {
	tmp := t.TempDir()
	log, layout := filepath.Join(tmp, "log"), filepath.Join(tmp, "chip.gds")
	writeLayout(t, layout, map[string][]string{"chip": nil}, nil)
	t.Setenv("FAIL_CYCLE", "2")
	proj := testProject(t, copyMap(pdk), logTarget(log, layout))
	p := open(t, Options{Project: proj})
	src := &testSource{ch: make(chan watcher.ChangeSet)}
	var out testsupport.Buffer
	runLoop(t, p, src, &out)
	waitUntil(t, "the start-up build", func() bool { return strings.Contains(out.String(), "ok → build/chip.gds") })

	parts, helpers := filepath.Join(proj.Dir, "pdk/parts.py"), filepath.Join(proj.Dir, "pdk/helpers.py")
	steps := []struct {
		file, text, want string
	}{
		{parts, strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1), "2:" + parts}, // fails
		{helpers, strings.Replace(pdk["pdk/helpers.py"], "return 1", "return 5", 1), "3:" + helpers + " " + parts},
		{helpers, pdk["pdk/helpers.py"], "4:" + helpers},
	}
	for i, s := range steps {
		writeTestFile(t, s.file, s.text)
		src.send(t, edit(s.file, sha(s.text)))
		waitUntil(t, "the build of cycle "+s.want[:1], func() bool {
			// The summary line comes when the build and its stages are
			// done: the next edit does not stop this build.
			return len(readLines(log)) == i+2 && strings.Count(out.String(), " changed → ") == i+1
		})
		if got := readLines(log)[i+1]; got != s.want && !(i == 1 && got == "3:"+parts+" "+helpers) {
			t.Errorf("cycle %d: the build was told %q, want %q", i+2, got, s.want)
		}
	}
	if !strings.Contains(out.String(), "failed (exit 3)") {
		t.Errorf("no build failed:\n%s", out.String())
	}
}
