package loop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
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
	// Warm runs the target's builds in a runner.Worker of its own, which
	// keeps the interpreter between builds.
	Warm bool
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
	// Jobs is how many builds may run at once (0: the number of CPUs).
	Jobs int
	// WarmRoots are the directories of the project's own Python code, for
	// the warm workers of Target.Warm (see runner.Runner.NewWorker).
	WarmRoots []string
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
	// After does. Its context is the job's: a later cycle that builds the
	// target stops it (a push KLayout has not answered is not waited
	// for), and the cycle counts as stopped.
	Cached func(ctx context.Context, t Target) []StageReport
	// Idle, if set, is called when the last build ends with nothing
	// waiting, as the loop goes back to waiting for changes. It runs on
	// the loop's goroutine: it must return at once.
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
	// Uses names, per target, the targets whose layouts its layout
	// places: its build waits for theirs (the latest build of each, in
	// this cycle or one still running from an earlier cycle). Targets not
	// linked this way build side by side, up to Options.Jobs. A target
	// listed after its own target in Targets is not waited for (the
	// order breaks cycles).
	Uses map[string][]string
	// Reached names the targets the cycle's changes reach (nil: all of
	// Targets). A build of another target still running from an earlier
	// cycle goes on; a build of a reached one is stopped and built again.
	Reached []string
	// Reload names the project modules whose code changed, or that import
	// one that did (runner.Request.Reload, for warm workers).
	Reload []string
	// TargetEnv holds KEY=VALUE pairs added to one target's build
	// environment, by target name.
	TargetEnv map[string][]string
	// Generation is the planner's own count of its plans; it comes back
	// in Build.Plan.
	Generation int64
}

// Build is one target's good build in a cycle, as Hooks.After sees it.
type Build struct {
	// Cycle is the cycle the build belongs to.
	Cycle *Cycle
	// Target is what was built; its Output is the layout to read and push.
	Target Target
	// Result is the build's outcome (always good when hooks see it).
	Result *runner.Result
	// Plan is the plan the build was made with (nil without a planner).
	Plan *Plan
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

// jobs is how many builds may run at once for Options.Jobs n: n, or one
// per CPU when n is 0 (or less).
func jobs(n int) int {
	if n <= 0 {
		return runtime.NumCPU()
	}
	return n
}

// Run runs the loop until ctx is done (then it returns 0 and nil), or, with
// Once, for one cycle, returning its status: 0 when every build and its
// hooks were good, else a failed build's exit code or 1.
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
	o.Jobs = jobs(o.Jobs)
	s := newSched(ctx, o)
	defer s.close()
	if o.Once {
		s.cycle(&Cycle{Initial: true})
		s.drain()
		return s.code, nil
	}
	if o.Source == nil {
		return exitError, errors.New("loop: no source of changes")
	}
	for _, t := range o.Targets {
		if t.Output != "" {
			o.Source.IgnorePath(t.Output)
		}
	}
	return s.watch()
}

const exitError = 2

// watch is the select loop: it never blocks on a build, so changes are
// planned and restarts decided while builds run.
func (s *sched) watch() (int, error) {
	wctx, stopWatch := context.WithCancel(s.ctx)
	defer stopWatch()
	watchErr := make(chan error, 1)
	go func() { watchErr <- s.o.Source.Run(wctx) }()
	changes := s.o.Source.Changes()
	var pending watcher.ChangeSet
	if !s.o.NoInitial {
		s.cycle(&Cycle{Initial: true})
	}
	for {
		if !s.busy() && !pending.Empty() && s.ctx.Err() == nil {
			s.cycle(&Cycle{Changes: pending})
			pending = watcher.ChangeSet{}
		}
		select {
		case <-s.ctx.Done():
			s.drain()
			<-watchErr
			return 0, nil
		case err := <-watchErr:
			s.stopAll()
			s.drain()
			if s.ctx.Err() != nil { // quitting: the watcher saw it first
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
			case !s.busy() || pending.Empty():
			case s.o.OnBusy == runner.Restart:
				s.logf("changes during cycle %d: planning them now", s.n)
				s.cycle(&Cycle{Changes: pending})
				pending = watcher.ChangeSet{}
			default:
				s.logf("changes during cycle %d: %d queued", s.n, len(pending.Changes))
			}
		case ev := <-s.events:
			s.finished(ev)
			if !s.busy() && pending.Empty() && s.o.Hooks.Idle != nil {
				s.o.Hooks.Idle()
			}
		}
	}
}
