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

// cycle plans, builds each target and runs the after-build hooks of the
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
	targets := l.o.Targets
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
		}
		l.logf("cycle %d: plan took %s", c.N, runner.FormatDuration(time.Since(start)))
	}
	if len(targets) == 0 {
		l.print(append(head, "nothing to rebuild"))
		rep.Status = StatusNothing
		return outcome{}
	}
	code := 0
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
			continue
		}
		if t.Output != "" {
			if _, err := os.Stat(t.Output); err != nil {
				parts = append(parts, l.warn("%s missing", l.rel(t.Output)))
			} else {
				parts = append(parts, l.rel(t.Output))
			}
		}
		hookParts, stages, ok := l.after(ctx, &Build{Cycle: c, Target: t, Result: res, Values: map[string]any{}})
		br.Stages = stages
		if !ok {
			br.Status, br.Error = StatusFailed, stages[len(stages)-1].Error
			if code == 0 {
				code = 1
			}
		}
		rep.Builds = append(rep.Builds, br)
		l.print(append(parts, hookParts...))
	}
	return outcome{code: code}
}

// after runs the after-build hooks in order and returns their summary
// parts and reports; ok is false when one failed (the rest then do not
// run, and the last report is the failed one's).
func (l *loop) after(ctx context.Context, b *Build) (parts []string, stages []StageReport, ok bool) {
	for _, h := range l.o.Hooks.After {
		start := time.Now()
		note, err := h.Run(ctx, b)
		took := time.Since(start)
		d := runner.FormatDuration(took)
		if err != nil {
			stages = append(stages, StageReport{Name: h.Name, DurationMS: ms(took), Error: err.Error()})
			return append(parts, l.bad("%s failed: %v", h.Name, err)), stages, false
		}
		if note == Quiet {
			continue
		}
		stages = append(stages, StageReport{Name: h.Name, DurationMS: ms(took), Note: note})
		p := h.Name + " " + d
		if note != "" {
			p += " (" + note + ")"
		}
		parts = append(parts, p)
	}
	return parts, stages, true
}

// failCode is the --once status of a build that was not good.
func failCode(res *runner.Result) int {
	if res.Err == nil && res.ExitCode > 0 {
		return res.ExitCode
	}
	return 1
}

// selectTargets returns the targets named, in configuration order.
func (l *loop) selectTargets(names []string) []Target {
	if names == nil {
		return l.o.Targets
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := []Target{}
	for _, t := range l.o.Targets {
		if want[t.Name] {
			out = append(out, t)
			delete(want, t.Name)
		}
	}
	for n := range want {
		l.logf("plan names unknown target %q", n)
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
	ev := Events{Cycle: c.N, Initial: c.Initial, Rescan: c.Changes.Rescan, Target: t.Name, Output: t.Output, Changes: c.Changes.Changes}
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
	return runner.Request{Command: t.Command, Label: label, Changed: c.Changes.Paths(), Events: data, Env: env, Timeout: t.Timeout}
}
