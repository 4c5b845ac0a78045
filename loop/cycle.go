package loop

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// clearScreen moves the cursor home and clears the terminal.
const clearScreen = "\033[H\033[2J"

// cycle starts a cycle for c: it plans, shows the targets the plan serves
// from the cache, and makes a job for each target to build. A target
// whose job from an earlier cycle still waits moves into this one; one
// whose job runs is stopped and built again when the changes reach it,
// and left to finish otherwise.
func (s *sched) cycle(c *Cycle) {
	s.n++
	c.N = s.n
	start := time.Now()
	if s.o.Clear && !s.busy() {
		fmt.Fprint(s.o.Out, clearScreen)
	}
	cr := &cycleRun{c: c, start: start}
	cr.rep = newReport(c, start)
	targets, cached, reached := s.o.Targets, []Target(nil), map[string]bool(nil)
	var planErr string
	if s.o.Hooks.Plan != nil {
		p, err := s.o.Hooks.Plan(s.ctx, c)
		switch {
		case err != nil:
			planErr = err.Error()
		case p != nil:
			c.Plan = p
			targets = s.selectTargets(p.Targets)
			if len(p.Cached) > 0 {
				cached = s.selectTargets(p.Cached)
			}
			if p.Reached != nil {
				reached = map[string]bool{}
				for _, n := range p.Reached {
					reached[n] = true
				}
			}
		}
		cr.rep.PlanMS = ms(time.Since(start))
		s.logf("cycle %d: plan took %s", c.N, runner.FormatDuration(time.Since(start)))
	}
	// The jobs this cycle takes over bring their changes along, so that
	// the summary and the builds tell of every change since their target's
	// last build.
	var jobs []*job
	for _, t := range targets {
		old := s.latest[t.Name]
		switch {
		case old == nil || old.state == ended:
		case old.state == waiting:
			s.queue = slices.DeleteFunc(s.queue, func(j *job) bool { return j == old })
			c.Changes = watcher.Merge(old.changes, c.Changes)
			s.drop(old) // its cycle no longer builds everything it planned
		case reached != nil && !reached[t.Name]:
			continue // still running for an earlier change this one does not reach
		default:
			s.logf("cycle %d: stopping the build of %q from cycle %d", c.N, t.Name, old.cyc.c.N)
			old.cancel()
			c.Changes = watcher.Merge(old.changes, c.Changes)
		}
		jobs = append(jobs, &job{t: t, cyc: cr, plan: c.Plan})
	}
	for _, j := range jobs {
		s.supersedeCached(c, j.t.Name)
	}
	cr.rep.Changes, cr.rep.Rescan = c.Changes.Changes, c.Changes.Rescan
	if cr.rep.Changes == nil {
		cr.rep.Changes = []watcher.Change{}
	}
	cr.head = s.describe(c)
	switch {
	case planErr != "":
		cr.head = append(cr.head, s.bad("plan failed: %s", planErr))
		cr.rep.PlanError = planErr
	case c.Plan != nil:
		if c.Plan.Note != "" {
			cr.head = append(cr.head, c.Plan.Note)
		}
		cr.rep.Note, cr.rep.Invalidated = c.Plan.Note, c.Plan.Invalidated
	}
	s.active = append(s.active, cr)
	for _, t := range cached {
		s.add(&job{t: t, cyc: cr, plan: c.Plan, cached: true})
	}
	for _, j := range jobs {
		j.changes = c.Changes
		s.add(j)
	}
	if cr.jobs == 0 {
		s.print(append(slices.Clone(cr.head), "nothing to rebuild"))
		cr.rep.Status = StatusNothing
		s.end(cr)
		return
	}
	s.startReady()
}

// supersedeCached stops the job showing the cached layout of the target
// named, if one waits or runs: cycle c builds the target, and its layout
// is the one to show. Without this, a KLayout that never answers the
// start-up push would hold the target's build for the whole push timeout.
func (s *sched) supersedeCached(c *Cycle, name string) {
	for j := range s.live {
		if j.cached && j.t.Name == name {
			s.logf("cycle %d: stopping the cached layout of %q from cycle %d", c.N, name, j.cyc.c.N)
			j.cancel()
		}
	}
	s.queue = slices.DeleteFunc(s.queue, func(j *job) bool {
		if !j.cached || j.t.Name != name {
			return false
		}
		s.drop(j)
		return true
	})
}

// add queues a job as its target's newest.
func (s *sched) add(j *job) {
	j.cyc.jobs++
	s.queue = append(s.queue, j)
	if !j.cached {
		s.latest[j.t.Name] = j
	}
}

// runJob runs one job on its own goroutine: the build and the stages after
// it, or the stages that show a cached layout; it fills in j's report and
// summary line.
func (s *sched) runJob(ctx context.Context, j *job, w *runner.Worker) {
	head := slices.Clone(j.cyc.head)
	if j.cached {
		j.br = BuildReport{Target: j.t.Name, Output: j.t.Output, Status: StatusCached}
		j.parts = append(head, s.good("%s from the cache, no build", s.rel(j.t.Output)))
		if s.o.Hooks.Cached != nil {
			// A change that builds the target stops the job (see
			// supersedeCached): its push is not waited for.
			s.tookStages(ctx, j, s.o.Hooks.Cached(ctx, j.t))
		}
		return
	}
	req := s.request(j)
	var res *runner.Result
	if w != nil {
		res = w.Run(ctx, req)
	} else {
		res = s.o.Runner.Run(ctx, req)
	}
	j.br = buildReport(j.t, res)
	if res.Stopped {
		j.stopped = true
		return
	}
	j.parts = append(head, s.buildPart(res))
	if !res.OK() {
		j.fail = failCode(res)
		if s.o.Hooks.Failed != nil {
			s.o.Hooks.Failed(s.ctx, j.t, res)
		}
		return
	}
	if j.t.Output != "" {
		if _, err := os.Stat(j.t.Output); err != nil {
			j.parts = append(j.parts, s.warn("%s missing", s.rel(j.t.Output)))
		} else {
			j.parts = append(j.parts, s.rel(j.t.Output))
		}
	}
	if s.o.Hooks.After == nil {
		return
	}
	// A change that stops the build's job also stops its stages: a push
	// of a layout already superseded is not waited for.
	s.tookStages(ctx, j, s.o.Hooks.After(ctx, &Build{Cycle: j.cyc.c, Target: j.t, Result: res, Plan: j.plan}))
}

// tookStages records the stages a job ran, after its build or for its
// cached layout: stopped by a change (ctx ended while the loop goes on),
// else their parts of the summary line, failed when the last one failed.
func (s *sched) tookStages(ctx context.Context, j *job, stages []StageReport) {
	j.br.Stages = stages
	if ctx.Err() != nil && s.ctx.Err() == nil {
		j.br.Status, j.stopped = StatusStopped, true
		j.parts = append(j.parts, s.warn("stopped by a change"))
		return
	}
	more, ok := s.stageParts(stages)
	j.parts = append(j.parts, more...)
	if !ok {
		j.br.Status, j.br.Error, j.fail = StatusFailed, stages[len(stages)-1].Error, 1
	}
}

// stageParts turns stage reports into summary parts ("read 4 ms (15
// cells)", "push failed: ..."); ok is false when one failed.
func (s *sched) stageParts(stages []StageReport) (parts []string, ok bool) {
	ok = true
	for _, st := range stages {
		if st.Error != "" {
			parts = append(parts, s.bad("%s failed: %s", st.Name, st.Error))
			ok = false
			continue
		}
		p := st.Name + " " + runner.FormatDuration(time.Duration(st.DurationMS*float64(time.Millisecond)))
		if st.Note != "" {
			p += " (" + st.Note + ")"
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
func (s *sched) selectTargets(names []string) []Target {
	if names == nil {
		return s.o.Targets
	}
	out := []Target{}
	for _, n := range names {
		i := slices.IndexFunc(s.o.Targets, func(t Target) bool { return t.Name == n })
		if i < 0 {
			s.logf("plan names unknown target %q", n)
			continue
		}
		out = append(out, s.o.Targets[i])
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

// request builds the runner request of a job.
func (s *sched) request(j *job) runner.Request {
	c, t, p := j.cyc.c, j.t, j.plan
	cs := j.changes
	if p != nil && p.Changes != nil {
		cs = *p.Changes
	}
	ev := Events{Cycle: c.N, Initial: c.Initial, Rescan: cs.Rescan, Target: t.Name, Output: t.Output, Changes: cs.Changes}
	if ev.Changes == nil {
		ev.Changes = []watcher.Change{}
	}
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		data = []byte("{}")
		s.logf("events: %v", err)
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
	var reload []string
	if p != nil {
		env = append(env, p.Env...)
		env = append(env, p.TargetEnv[t.Name]...)
		reload = p.Reload
	}
	label := "build"
	if t.Name != "" {
		label = t.Name
	}
	return runner.Request{Command: t.Command, Label: label, Changed: cs.Paths(), Events: data, Env: env, Timeout: t.Timeout, Reload: reload}
}

func (s *sched) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}
