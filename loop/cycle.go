package loop

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// clearScreen moves the cursor home and clears the terminal.
const clearScreen = "\033[H\033[2J"

// cycle plans, shows the targets the plan serves from the cache, builds
// the others in the plan's order and runs the after-build stages of the
// good builds. bctx stops the plan and builds (restart); ctx stops all.
func (l *loop) cycle(ctx, bctx context.Context, c *Cycle) (out outcome) {
	start := time.Now()
	rep := newReport(c, start)
	defer func() {
		switch {
		case out.stopped:
			rep.Status = StatusStopped
		case rep.Status != "":
		case out.code != 0:
			rep.Status = StatusFailed
		default:
			rep.Status = StatusOK
		}
		l.report(rep, start)
	}()
	if l.o.Clear {
		fmt.Fprint(l.o.Out, clearScreen)
	}
	head := l.describe(c)
	targets, cached := l.o.Targets, []Target(nil)
	if l.o.Hooks.Plan != nil {
		start := time.Now()
		p, err := l.o.Hooks.Plan(bctx, c)
		if bctx.Err() != nil {
			return outcome{stopped: true, code: 1}
		}
		switch {
		case err != nil:
			head = append(head, l.bad("plan failed: %v", err))
			rep.PlanError = err.Error()
		case p != nil:
			c.Plan = p
			if p.Note != "" {
				head = append(head, p.Note)
			}
			rep.Note, rep.Invalidated = p.Note, p.Invalidated
			targets = l.selectTargets(p.Targets)
			if len(p.Cached) > 0 {
				cached = l.selectTargets(p.Cached)
			}
		}
		l.logf("cycle %d: plan took %s", c.N, runner.FormatDuration(time.Since(start)))
	}
	code := 0
	for _, t := range cached {
		br := BuildReport{Target: t.Name, Output: t.Output, Status: StatusCached}
		parts := append(append([]string{}, head...), l.good("%s from the cache, no build", l.rel(t.Output)))
		if l.o.Hooks.Cached != nil {
			stages := l.o.Hooks.Cached(ctx, t)
			br.Stages = stages
			more, ok := l.stageParts(stages)
			parts = append(parts, more...)
			if !ok {
				br.Status, br.Error, code = StatusFailed, stages[len(stages)-1].Error, 1
			}
		}
		rep.Builds = append(rep.Builds, br)
		l.print(parts)
	}
	if len(targets) == 0 {
		if len(cached) == 0 {
			l.print(append(head, "nothing to rebuild"))
			rep.Status = StatusNothing
		} else if code == 0 {
			rep.Status = StatusCached
		}
		return outcome{code: code}
	}
	for _, t := range targets {
		if bctx.Err() != nil {
			return outcome{stopped: true, code: 1}
		}
		res := l.o.Runner.Run(bctx, l.request(c, t))
		br := buildReport(t, res)
		if res.Stopped {
			rep.Builds = append(rep.Builds, br)
			return outcome{stopped: true, code: 1}
		}
		parts := append(append([]string{}, head...), l.buildPart(t, res, len(l.o.Targets) > 1))
		if !res.OK() {
			code = failCode(res)
			l.print(parts)
			rep.Builds = append(rep.Builds, br)
			if l.o.Hooks.Failed != nil {
				l.o.Hooks.Failed(ctx, t, res)
			}
			continue
		}
		if t.Output != "" {
			if _, err := os.Stat(t.Output); err != nil {
				parts = append(parts, l.warn("%s missing", l.rel(t.Output)))
			} else {
				parts = append(parts, l.rel(t.Output))
			}
		}
		if l.o.Hooks.After != nil {
			// A change that restarts the cycle also stops its stages: a
			// push of a layout already superseded is not waited for.
			stages := l.o.Hooks.After(bctx, &Build{Cycle: c, Target: t, Result: res})
			if bctx.Err() != nil && ctx.Err() == nil {
				br.Status, br.Stages = StatusStopped, stages
				rep.Builds = append(rep.Builds, br)
				l.print(append(parts, l.warn("stopped by a change")))
				return outcome{stopped: true, code: 1}
			}
			br.Stages = stages
			more, ok := l.stageParts(stages)
			parts = append(parts, more...)
			if !ok {
				br.Status, br.Error = StatusFailed, stages[len(stages)-1].Error
				if code == 0 {
					code = 1
				}
			}
		}
		rep.Builds = append(rep.Builds, br)
		l.print(parts)
	}
	return outcome{code: code}
}

// stageParts turns stage reports into summary parts ("read 4 ms (15
// cells)", "push failed: ..."); ok is false when one failed.
func (l *loop) stageParts(stages []StageReport) (parts []string, ok bool) {
	ok = true
	for _, s := range stages {
		if s.Error != "" {
			parts = append(parts, l.bad("%s failed: %s", s.Name, s.Error))
			ok = false
			continue
		}
		p := s.Name + " " + runner.FormatDuration(time.Duration(s.DurationMS*float64(time.Millisecond)))
		if s.Note != "" {
			p += " (" + s.Note + ")"
		}
		parts = append(parts, p)
	}
	return parts, ok
}

// failCode is the --once status of a build that was not good.
func failCode(res *runner.Result) int {
	if res.Err == nil && res.ExitCode > 0 {
		return res.ExitCode
	}
	return 1
}

// selectTargets returns the targets named, in the order named (nil: all,
// in the order of Options.Targets).
func (l *loop) selectTargets(names []string) []Target {
	if names == nil {
		return l.o.Targets
	}
	out := []Target{}
	for _, n := range names {
		found := false
		for _, t := range l.o.Targets {
			if t.Name == n {
				out, found = append(out, t), true
				break
			}
		}
		if !found {
			l.logf("plan names unknown target %q", n)
		}
	}
	return out
}

// Events is the JSON document in runner.EnvEventsFile.
type Events struct {
	Cycle   int              `json:"cycle"`
	Initial bool             `json:"initial"`
	Rescan  bool             `json:"rescan"`
	Target  string           `json:"target"`
	Output  string           `json:"output"`
	Changes []watcher.Change `json:"changes"`
}

// request builds the runner request for target t in cycle c.
func (l *loop) request(c *Cycle, t Target) runner.Request {
	cs := c.Changes
	if c.Plan != nil && c.Plan.Changes != nil {
		cs = *c.Plan.Changes
	}
	ev := Events{Cycle: c.N, Initial: c.Initial, Rescan: cs.Rescan, Target: t.Name, Output: t.Output, Changes: cs.Changes}
	if ev.Changes == nil {
		ev.Changes = []watcher.Change{}
	}
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		data = []byte("{}")
		l.logf("events: %v", err)
	}
	initial := "0"
	if c.Initial {
		initial = "1"
	}
	env := []string{
		fmt.Sprintf("%s=%d", EnvCycle, c.N),
		EnvTarget + "=" + t.Name,
		EnvOutput + "=" + t.Output,
		EnvInitial + "=" + initial,
	}
	if c.Plan != nil {
		env = append(env, c.Plan.Env...)
	}
	label := "build"
	if t.Name != "" {
		label = t.Name
	}
	return runner.Request{Command: t.Command, Label: label, Changed: cs.Paths(), Events: data, Env: env, Timeout: t.Timeout}
}
