package loop

import (
	"context"
	"slices"
	"time"

	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// sched runs the jobs of every cycle: one build (or one cached layout
// shown) of one target each. Its state belongs to the loop's goroutine;
// jobs run in goroutines of their own and come back on events.
type sched struct {
	ctx     context.Context
	o       Options
	n       int                       // cycles started
	code    int                       // --once status: 0 while every job was good
	latest  map[string]*job           // the newest job of each target, by name
	queue   []*job                    // jobs waiting to start, in the order they were made
	live    map[*job]bool             // jobs started and not yet finished
	active  []*cycleRun               // cycles not yet reported, oldest first
	events  chan *job                 // jobs that finished
	workers map[string]*runner.Worker // the warm workers, by target
}

// cycleRun is one cycle's jobs and report.
type cycleRun struct {
	c       *Cycle
	head    []string // the summary lines' first parts
	rep     *Report
	start   time.Time
	jobs    int  // jobs not yet finished or moved to a later cycle
	stopped bool // a job of it was stopped
	code    int
}

// The states of a job.
const (
	waiting = iota
	started
	ended
)

// job is one target's build (or its cached layout shown) in a cycle.
type job struct {
	t       Target
	cyc     *cycleRun
	plan    *Plan
	changes watcher.ChangeSet // what its build is told of (unless plan.Changes)
	cached  bool
	state   int
	cancel  context.CancelFunc

	// Filled in by the job's goroutine before it comes back on events.
	br      BuildReport
	parts   []string // the summary line after the head; nil: no line
	stopped bool
	fail    int // its --once status: 0 when good
}

func newSched(ctx context.Context, o Options) *sched {
	return &sched{ctx: ctx, o: o, latest: map[string]*job{}, live: map[*job]bool{}, events: make(chan *job),
		workers: map[string]*runner.Worker{}}
}

// busy reports whether any job waits or runs.
func (s *sched) busy() bool { return len(s.live) > 0 || len(s.queue) > 0 }

// drain waits for every job to finish, starting those that wait (or, once
// ctx is done, stopping them all), and reports every cycle.
func (s *sched) drain() {
	for s.busy() {
		if s.ctx.Err() != nil {
			s.stopAll()
		}
		s.startReady()
		if len(s.live) == 0 {
			break
		}
		s.finished(<-s.events)
	}
	for _, c := range slices.Clone(s.active) {
		s.end(c)
	}
}

// drop ends a waiting job, taken out of the queue by the caller: its
// cycle is marked stopped, and ends when it was the last job.
func (s *sched) drop(j *job) {
	j.state = ended
	j.cyc.stopped = true
	s.leave(j.cyc)
}

// stopAll stops every running job and drops the waiting ones.
func (s *sched) stopAll() {
	for _, j := range s.queue {
		s.drop(j)
	}
	s.queue = nil
	for j := range s.live {
		j.cancel()
	}
}

// close stops the warm workers.
func (s *sched) close() {
	for _, w := range s.workers {
		w.Close()
	}
}

// startReady starts the waiting jobs that may start, in the order they
// were made: no other job of their target runs, the latest jobs of the
// targets they use have finished, and a slot is free.
func (s *sched) startReady() {
	var keep []*job
	for _, j := range s.queue {
		if len(s.live) >= s.o.Jobs || !s.ready(j) {
			keep = append(keep, j)
			continue
		}
		s.start(j)
	}
	s.queue = keep
	if len(s.live) == 0 && len(s.queue) > 0 && s.ctx.Err() == nil {
		// Nothing runs and nothing may start: jobs of two plans wait for
		// each other (their layouts came to place each other between the
		// plans). The oldest goes first.
		s.logf("targets %q and others wait for each other: building %q first", s.queue[0].t.Name, s.queue[0].t.Name)
		s.start(s.queue[0])
		s.queue = s.queue[1:]
	}
}

func (s *sched) ready(j *job) bool {
	if s.ctx.Err() != nil {
		return false
	}
	for o := range s.live {
		if o.t.Name == j.t.Name {
			return false
		}
	}
	for _, u := range s.uses(j) {
		if o := s.latest[u]; o != nil && o.state != ended {
			return false
		}
	}
	return true
}

// uses are the targets j waits for: those its plan says its layout places,
// except those after it in the plan's order (a cycle of targets placing
// each other builds in that order).
func (s *sched) uses(j *job) []string {
	if j.plan == nil || j.cached {
		return nil
	}
	names := s.planTargets(j.plan)
	at := slices.Index(names, j.t.Name)
	var out []string
	for _, u := range j.plan.Uses[j.t.Name] {
		if i := slices.Index(names, u); u != j.t.Name && (i < 0 || i < at) {
			out = append(out, u)
		}
	}
	return out
}

// planTargets are the names a plan builds, in its order.
func (s *sched) planTargets(p *Plan) []string {
	if p.Targets != nil {
		return p.Targets
	}
	out := make([]string, len(s.o.Targets))
	for i, t := range s.o.Targets {
		out[i] = t.Name
	}
	return out
}

// start runs j in a goroutine of its own.
func (s *sched) start(j *job) {
	ctx, cancel := context.WithCancel(s.ctx)
	j.cancel, j.state = cancel, started
	s.live[j] = true
	var w *runner.Worker
	if j.t.Warm && !j.cached {
		if w = s.workers[j.t.Name]; w == nil {
			w = s.o.Runner.NewWorker(s.o.WarmRoots)
			s.workers[j.t.Name] = w
		}
	}
	go func() {
		defer cancel()
		s.runJob(ctx, j, w)
		s.events <- j
	}()
}

// finished takes a job that came back: its summary line, its cycle's
// report, and the jobs it let start.
func (s *sched) finished(j *job) {
	delete(s.live, j)
	j.state = ended
	c := j.cyc
	if j.parts != nil {
		if len(s.o.Targets) > 1 && j.t.Name != "" {
			j.parts[0] = j.t.Name + ": " + j.parts[0]
		}
		s.print(j.parts)
	}
	c.rep.Builds = append(c.rep.Builds, j.br)
	switch {
	case j.stopped:
		c.stopped = true
	case j.fail != 0:
		if c.code == 0 || j.fail > 1 {
			c.code = j.fail
		}
		if s.code == 0 || j.fail > 1 {
			s.code = j.fail
		}
	}
	s.leave(c)
	s.startReady()
}

// leave counts one job of c as gone; the last one ends the cycle.
func (s *sched) leave(c *cycleRun) {
	c.jobs--
	if c.jobs <= 0 {
		s.end(c)
	}
}

// end reports a cycle whose jobs are all gone.
func (s *sched) end(c *cycleRun) {
	i := slices.Index(s.active, c)
	if i < 0 {
		return
	}
	s.active = slices.Delete(s.active, i, i+1)
	switch {
	case c.rep.Status != "":
	case c.stopped:
		c.rep.Status = StatusStopped
	case c.code != 0:
		c.rep.Status = StatusFailed
	case len(c.rep.Builds) > 0 && !slices.ContainsFunc(c.rep.Builds, func(b BuildReport) bool { return b.Status != StatusCached }):
		c.rep.Status = StatusCached
	default:
		c.rep.Status = StatusOK
	}
	s.report(c.rep, c.start)
}
