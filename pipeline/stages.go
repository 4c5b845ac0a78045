package pipeline

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/tracing"
)

// built is one target's good build as the stages after it hand it on:
// each stage reads what the earlier ones filled in.
type built struct {
	target project.Target
	// gen is the plan the build was made with (see settle); settled
	// counts the target's good builds as of this one (filled in by read).
	gen, settled int64
	// Filled in by read: the output's bytes, read once (what is hashed
	// is what is saved), and what they hold.
	data   []byte
	lib    *gds.Library
	hashes map[string]gds.CellHash
	cells  []depgraph.CellInfo // the cells as the graph knows them
	// Filled in by read: the cells changed and removed since the last
	// good layout. By trace: the frames the build traced. By save: the
	// history frame holding the layout.
	changed, removed []string
	trace            []tracing.Frame
	traceDropped     int
	frame            session.Saved
}

// stage is one step after a good build. A new stage is a type with these
// two methods, in a file of its own, and one entry in afterBuild.
type stage interface {
	// name is shown in the summary line, with the stage's time.
	name() string
	// run does the work. The note it returns is shown after the time;
	// errQuiet leaves the stage out of the summary and the report (it had
	// nothing to do, or nothing worth a word).
	run(ctx context.Context, b *built) (note string, err error)
}

// reporter is a stage whose report carries typed findings beside its
// note (loop.StageReport's Cells, Trace, Frame), filled in after a run
// that did not fail.
type reporter interface {
	report(b *built, r *loop.StageReport)
}

// errQuiet is what a stage returns when it had nothing to do for this
// build (no output to read, no session to save into), or did its work
// with nothing to report.
var errQuiet = errors.New("quiet")

// afterBuild declares the stages after a good build, in order: the
// stages of a step run side by side, a step starts when the one before
// it is done, and a failed stage stops the steps after its own. Showing
// never waits for saving: the push and the save run side by side; the diff
// (--show-diff) runs after both, as it needs the time of a KLayout.
func (p *Pipeline) afterBuild() [][]stage {
	return [][]stage{
		{readStage{p}, traceStage{p}, keepPreviousStage{p}},
		{pushStage{p}, saveStage{p}},
		{historyStage{p}, diffStage{p}},
	}
}

// fromCache declares the stages that show a target the session serves
// without a build: its output is restored from the cache, then pushed.
func (p *Pipeline) fromCache() [][]stage {
	return [][]stage{
		{restoreStage{p}, keepPreviousStage{p}},
		{pushStage{p}},
	}
}

// After is the loop's after-build hook: it runs the stages of afterBuild
// for a good build of b.Target and reports each.
func (p *Pipeline) After(ctx context.Context, b *loop.Build) []loop.StageReport {
	gen := int64(math.MaxInt64) // a build of no plan of ours settles every mark
	if b.Plan != nil && b.Plan.Generation > 0 {
		gen = b.Plan.Generation
	}
	return runSteps(ctx, p.afterBuild(), &built{target: p.target(b.Target), gen: gen})
}

// Cached is the loop's hook for a target the session serves: it restores
// the target's output from the cache and pushes it.
func (p *Pipeline) Cached(ctx context.Context, t loop.Target) []loop.StageReport {
	return runSteps(ctx, p.fromCache(), &built{target: p.target(t)})
}

// target finds the project's target for a loop target.
func (p *Pipeline) target(t loop.Target) project.Target {
	if pt, ok := p.proj.Target(t.Name); ok {
		return pt
	}
	return project.Target{Name: t.Name, Command: t.Command, Output: t.Output, Entry: t.Entry}
}

// runSteps runs the steps in order and reports the stages that had
// something to do, in declaration order.
func runSteps(ctx context.Context, steps [][]stage, b *built) []loop.StageReport {
	var reports []loop.StageReport
	for _, step := range steps {
		got := make([]*loop.StageReport, len(step))
		var wg sync.WaitGroup
		for i, s := range step {
			run := func() { got[i] = runStage(ctx, s, b) }
			if len(step) == 1 {
				run()
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); run() }()
		}
		wg.Wait()
		failed := false
		for _, r := range got {
			if r != nil {
				reports = append(reports, *r)
				failed = failed || r.Error != ""
			}
		}
		if failed {
			break
		}
	}
	return reports
}

// runStage runs one stage and reports it; nil when it had nothing to do.
func runStage(ctx context.Context, s stage, b *built) *loop.StageReport {
	start := time.Now()
	note, err := s.run(ctx, b)
	if errors.Is(err, errQuiet) {
		return nil
	}
	r := &loop.StageReport{Name: s.name(), DurationMS: float64(time.Since(start).Microseconds()) / 1000, Note: note}
	if err != nil {
		r.Error, r.Note = err.Error(), ""
	} else if rep, ok := s.(reporter); ok {
		rep.report(b, r)
	}
	return r
}
