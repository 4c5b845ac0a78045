package loop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// blockingPush is a push stage that never gets an answer (a KLayout that
// accepts and never replies): it reports on events when it starts and
// when its context is cancelled, and returns only then.
func blockingPush(ctx context.Context, events chan<- string, what string) []StageReport {
	events <- what + " push started"
	<-ctx.Done()
	events <- what + " push stopped"
	return []StageReport{{Name: "push", Error: ctx.Err().Error()}}
}

// next returns the next event, failing the test when none comes in time
// (the time is the limit of a broken loop, not the speed asked of it).
func next(t *testing.T, events <-chan string) string {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event: the push was not stopped")
		return ""
	}
}

// TestChangeStopsTheCachedPush: the start-up push of a cached layout to a
// KLayout that never answers does not hold the target: an edit that
// builds the target stops the push, and the build runs at once.
func TestChangeStopsTheCachedPush(t *testing.T) {
	events := make(chan string, 8)
	var js testsupport.Buffer
	h := start(t, logScript, func(o *Options) {
		o.JSON = &js
		o.Hooks.Plan = func(_ context.Context, c *Cycle) (*Plan, error) {
			if c.Initial {
				return &Plan{Targets: []string{}, Cached: []string{""}}, nil
			}
			return &Plan{Targets: []string{""}}, nil
		}
		o.Hooks.Cached = func(ctx context.Context, _ Target) []StageReport {
			return blockingPush(ctx, events, "cached")
		}
	})
	if e := next(t, events); e != "cached push started" {
		t.Fatalf("event %q, want the cached push to start", e)
	}
	h.src.send(t, h.path("a.py"))
	if e := next(t, events); e != "cached push stopped" {
		t.Fatalf("event %q, want the cached push stopped by the edit", e)
	}
	waitFor(t, "the edit's build", func() bool { return len(h.lines("log")) == 1 })
	if got, want := h.lines("log")[0], "2:"+h.path("a.py"); got != want {
		t.Errorf("build saw %q, want %q", got, want)
	}
	waitFor(t, "two reports", func() bool { return strings.Count(js.String(), "\n") == 2 })
	r := decodeReports(t, js.String())
	if r[0].Status != StatusStopped || r[1].Status != StatusOK {
		t.Errorf("cycle statuses %q, %q; want stopped, ok", r[0].Status, r[1].Status)
	}
	if !strings.Contains(h.out.String(), "from the cache, no build → stopped by a change") {
		t.Errorf("summary does not say the cached push was stopped:\n%s", h.out.String())
	}
}

// TestChangeStopsTheBuildsPush: the push after a good build is stopped
// by a change that reaches its target, as the build itself would be, and
// the change's build runs.
func TestChangeStopsTheBuildsPush(t *testing.T) {
	events := make(chan string, 8)
	var js testsupport.Buffer
	h := start(t, logScript, func(o *Options) {
		o.JSON = &js
		o.Hooks.After = func(ctx context.Context, b *Build) []StageReport {
			if b.Cycle.N == 1 {
				return blockingPush(ctx, events, "build")
			}
			return []StageReport{{Name: "push"}}
		}
	})
	if e := next(t, events); e != "build push started" {
		t.Fatalf("event %q, want the push of the start-up build to start", e)
	}
	h.src.send(t, h.path("a.py"))
	if e := next(t, events); e != "build push stopped" {
		t.Fatalf("event %q, want the push stopped by the edit", e)
	}
	waitFor(t, "the edit's build", func() bool { return len(h.lines("log")) == 2 })
	if got, want := h.lines("log")[1], "2:"+h.path("a.py"); got != want {
		t.Errorf("build saw %q, want %q", got, want)
	}
	waitFor(t, "two reports", func() bool { return strings.Count(js.String(), "\n") == 2 })
	r := decodeReports(t, js.String())
	if r[0].Status != StatusStopped || r[1].Status != StatusOK {
		t.Errorf("cycle statuses %q, %q; want stopped, ok", r[0].Status, r[1].Status)
	}
	if !strings.Contains(h.out.String(), "→ out.gds → stopped by a change") {
		t.Errorf("summary does not say the push was stopped:\n%s", h.out.String())
	}
}
