package loop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// Source is where change sets come from; *watcher.Watcher is one.
type Source interface {
	// Run watches until ctx is done; Changes is closed when it returns.
	Run(ctx context.Context) error
	// Changes delivers confirmed change sets.
	Changes() <-chan watcher.ChangeSet
	// IgnorePath marks a path the build writes as never reported.
	IgnorePath(path string)
}

// Target is one build: a command and the layout it writes.
type Target struct {
	// Name identifies the target in plans and in the summary line ("" for
	// the single unnamed target).
	Name string
	// Command is the program and its arguments.
	Command []string
	// Output is the layout the build writes ("" = none known).
	Output string
	// Entry lists the source files the target starts from (for planners).
	Entry []string
	// Timeout stops the target's build when it runs longer (0: no limit);
	// the build then fails as "timed out".
	Timeout time.Duration
}

// Options configure Run.
type Options struct {
	// Source gives the change sets; it may be nil with Once.
	Source Source
	// Targets are the builds; at least one.
	Targets []Target
	// Runner runs the builds; its Stdout and Stderr get the build output.
	Runner *runner.Runner
	// OnBusy says what a change during a build does.
	OnBusy runner.OnBusy
	// NoInitial skips the build at start-up.
	NoInitial bool
	// Once runs one cycle (the start-up build) and returns.
	Once bool
	// Clear clears the terminal (Out) before each cycle.
	Clear bool
	// Out receives the summary lines.
	Out io.Writer
	// JSON, when set, receives a Report of each cycle, as one line of
	// JSON, when the cycle ends.
	JSON io.Writer
	// Color colours the summary lines.
	Color bool
	// Root is the directory paths in summary lines are shown relative to.
	Root string
	// Hooks plug in the later stages (see the package documentation).
	Hooks Hooks
	// Logf, when set, receives diagnostics.
	Logf func(format string, args ...any)
}

// Hooks are the optional stages around the build.
type Hooks struct {
	// Plan decides what to build for a cycle; nil builds every target.
	Plan func(ctx context.Context, c *Cycle) (*Plan, error)
	// After runs after each good build of a target (exit 0, never after a
	// failed or stopped one): the stages that read, keep and show its
	// layout. Its context is the build's: a change that restarts the
	// cycle stops it too, and the cycle counts as stopped. It returns a report of each stage that had something to
	// do, in the order the summary line shows them; a report with an Error
	// fails the build.
	After func(ctx context.Context, b *Build) []StageReport
	// Failed, if set, is told of each failed build (not a stopped one):
	// KLayout can say so while it keeps showing the last good layout.
	Failed func(ctx context.Context, t Target, res *runner.Result)
	// Cached shows a target that the plan lists in Plan.Cached: its last
	// good layout, served without a build. It returns stage reports as
	// After does.
	Cached func(ctx context.Context, t Target) []StageReport
	// Idle, if set, is called when a cycle ends with nothing waiting, as
	// the loop goes back to waiting for changes. It runs on the loop's
	// goroutine: it must return at once.
	Idle func()
}

// Cycle is one round: the changes it builds for.
type Cycle struct {
	// N counts cycles from 1.
	N int
	// Initial is true for the start-up build (and a build after a stopped
	// start-up build): everything is to be built.
	Initial bool
	// Changes are the confirmed changes since the last cycle.
	Changes watcher.ChangeSet
	// Plan is what Hooks.Plan returned (nil without a planner).
	Plan *Plan
}

// Plan is what a planner decides for one cycle.
type Plan struct {
	// Targets to build by name, in the order given; nil builds all (in
	// the order of Options.Targets), empty builds none.
	Targets []string
	// Cached names targets whose last good layout is current: they are
	// shown (Hooks.Cached) without a build, before the others are built.
	Cached []string
	// Env holds KEY=VALUE pairs added to every build's environment.
	Env []string
	// Note is shown in the summary line after the changed files.
	Note string
	// Invalidated lists the factories the plan found invalidated (for
	// Report; the build gets them through Env).
	Invalidated []string
	// Changes, when set, are the changes the builds are told of
	// (LYWATCH_CHANGED, the events file) instead of the cycle's own: the
	// cycle's and those of earlier cycles whose builds did not succeed.
	Changes *watcher.ChangeSet
}

// Build is one target's good build in a cycle, as Hooks.After sees it.
type Build struct {
	// Cycle is the cycle the build belongs to.
	Cycle *Cycle
	// Target is what was built; its Output is the layout to read and push.
	Target Target
	// Result is the build's outcome (always good when hooks see it).
	Result *runner.Result
}

// Environment variables the loop adds to each build, beside runner's.
const (
	EnvCycle   = "LYWATCH_CYCLE"   // the cycle number, from 1
	EnvTarget  = "LYWATCH_TARGET"  // the target's name ("" for the single target)
	EnvOutput  = "LYWATCH_OUTPUT"  // the target's output path
	EnvInitial = "LYWATCH_INITIAL" // "1" for a start-up build, else "0"
)

// ErrNoTargets is returned by Run when Options.Targets is empty.
var ErrNoTargets = errors.New("loop: no build target")

// outcome is how a cycle ended.
type outcome struct {
	stopped bool // a build was stopped (restart or quitting)
	code    int  // exit status for --once: 0 when every build and hook was good
}

// running is the cycle under way.
type running struct {
	cycle  *Cycle
	cancel context.CancelFunc // stops its build
	done   chan outcome
}

// Run runs the loop until ctx is done (then it returns 0 and nil), or, with
// Once, for one cycle, returning its status: 0 when the build and its hooks
// were good, else the build's exit code or 1.
func Run(ctx context.Context, o Options) (int, error) {
	if len(o.Targets) == 0 {
		return exitError, ErrNoTargets
	}
	if o.Runner == nil {
		return exitError, errors.New("loop: no runner")
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	l := &loop{o: o}
	if o.Once {
		out := l.cycle(ctx, ctx, &Cycle{N: 1, Initial: true})
		return out.code, nil
	}
	if o.Source == nil {
		return exitError, errors.New("loop: no source of changes")
	}
	for _, t := range o.Targets {
		if t.Output != "" {
			o.Source.IgnorePath(t.Output)
		}
	}
	return l.live(ctx)
}

const exitError = 2

type loop struct {
	o Options
	n int // cycles started
}

// live is the select loop: it never blocks on a build, so changes are
// merged and restarts decided while a build runs.
func (l *loop) live(ctx context.Context) (int, error) {
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchErr := make(chan error, 1)
	go func() { watchErr <- l.o.Source.Run(wctx) }()
	changes := l.o.Source.Changes()

	var (
		pending watcher.ChangeSet
		force   = !l.o.NoInitial // a cycle is to start even with no change
		initial = !l.o.NoInitial
		cur     *running
	)
	for {
		if cur == nil && (force || !pending.Empty()) && ctx.Err() == nil {
			cur = l.start(ctx, &Cycle{Initial: initial, Changes: pending})
			pending, force, initial = watcher.ChangeSet{}, false, false
		}
		var done chan outcome
		if cur != nil {
			done = cur.done
		}
		select {
		case <-ctx.Done():
			if cur != nil {
				cur.cancel()
				<-cur.done
			}
			<-watchErr
			return 0, nil
		case err := <-watchErr:
			if cur != nil {
				cur.cancel()
				<-cur.done
			}
			if ctx.Err() != nil { // quitting: the watcher saw it first
				return 0, nil
			}
			if err == nil {
				err = errors.New("watcher stopped")
			}
			return exitError, fmt.Errorf("watch: %w", err)
		case cs, ok := <-changes:
			if !ok {
				changes = nil // Run is returning; watchErr follows
				continue
			}
			if cs.Empty() {
				continue
			}
			// A change undone before its build started drops out here.
			pending = watcher.Merge(pending, cs)
			switch {
			case cur == nil:
			case l.o.OnBusy == runner.Restart:
				l.logf("changes during cycle %d: restarting", cur.cycle.N)
				cur.cancel()
			default:
				l.logf("changes during cycle %d: %d queued", cur.cycle.N, len(pending.Changes))
			}
		case out := <-done:
			if out.stopped {
				// Nothing of the stopped cycle is lost: its changes go into
				// the next, which runs even if they cancel out (the stopped
				// build may have left a half-written output).
				pending = watcher.Merge(cur.cycle.Changes, pending)
				initial = initial || cur.cycle.Initial
				force = true
			}
			cur = nil
			if pending.Empty() && !force && l.o.Hooks.Idle != nil {
				l.o.Hooks.Idle()
			}
		}
	}
}

// start runs a cycle in its own goroutine.
func (l *loop) start(ctx context.Context, c *Cycle) *running {
	l.n++
	c.N = l.n
	bctx, cancel := context.WithCancel(ctx)
	r := &running{cycle: c, cancel: cancel, done: make(chan outcome, 1)}
	go func() {
		defer cancel()
		r.done <- l.cycle(ctx, bctx, c)
	}()
	return r
}

func (l *loop) logf(format string, args ...any) {
	if l.o.Logf != nil {
		l.o.Logf(format, args...)
	}
}
