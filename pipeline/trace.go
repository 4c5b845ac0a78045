package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/tracing"
)

// TraceOptions configure the trace channel of the builds: each build gets
// LYWATCH_TRACE, the module lywatch_trace on its PYTHONPATH and
// KFACTORY_SHOW_FUNCTION; the frames it writes are shown in KLayout as
// they arrive and kept with its history frame.
type TraceOptions struct {
	// Off traces nothing: the builds get the module on their PYTHONPATH
	// (a build that imports it runs; its frames do nothing), no folder.
	Off bool
	// Limits bound each build's trace.
	Limits tracing.Limits
}

// tracer is the pipeline's trace channel, opened by the first plan.
type tracer struct {
	opts TraceOptions

	mu    sync.Mutex
	ch    *tracing.Channel
	cycle *tracing.Cycle
	told  bool // a failure to open or show was said once
}

// Plan is the loop's planner: plan's decision, and the trace channel of
// the cycle's builds in their environment.
func (p *Pipeline) Plan(ctx context.Context, c *loop.Cycle) (*loop.Plan, error) {
	pl, err := p.plan(ctx, c)
	if err != nil || p.tracer == nil {
		return pl, err
	}
	env := p.beginTrace(ctx, c.N)
	if len(env) == 0 {
		return pl, nil
	}
	if pl == nil {
		pl = &loop.Plan{} // every target, as with no plan
	}
	pl.Env = append(pl.Env, env...)
	return pl, nil
}

// beginTrace starts the trace folder of cycle n and returns the
// environment that names it; none when the channel cannot be made (said
// once).
func (p *Pipeline) beginTrace(ctx context.Context, n int) []string {
	t := p.tracer
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ch == nil {
		ch, err := tracing.Open(t.opts.Limits)
		if err != nil {
			if !t.told {
				t.told = true
				p.logf("trace: %v; builds are not traced", err)
			}
			return nil
		}
		t.ch = ch
	}
	if t.opts.Off {
		return t.ch.ModuleEnv(nil)
	}
	cy, env, err := t.ch.Begin(context.WithoutCancel(ctx), n, p.keys(), p.showTrace, nil)
	if err != nil {
		p.logf("trace: %v", err)
		return nil
	}
	t.cycle = cy
	return env
}

// Close removes the trace channel. The pipeline must not plan afterwards.
func (p *Pipeline) Close() error {
	if p.tracer == nil {
		return nil
	}
	t := p.tracer
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ch == nil {
		return nil
	}
	err := t.ch.Close()
	t.ch, t.cycle = nil, nil
	return err
}

// Idle is what the loop does when it goes back to waiting: the cycle's
// trace channel is closed, off the path of the next save, and a KLayout
// that came back while the cycle ran is shown the last good layout.
func (p *Pipeline) Idle(ctx context.Context) {
	if p.tracer != nil {
		p.tracer.mu.Lock()
		if p.tracer.ch != nil {
			p.tracer.ch.End()
		}
		p.tracer.cycle = nil
		p.tracer.mu.Unlock()
	}
	go p.Reshow(ctx)
}

// TraceView returns the file a target's trace frames are shown from:
// one path per target, so KLayout reloads it keeping its view, in the
// session folder (which no watcher follows), else in the channel's.
func (p *Pipeline) TraceView(target string) string {
	if p.proj.SessionDir != "" {
		return filepath.Join(p.proj.SessionDir, "trace", target+".gds")
	}
	if p.tracer != nil {
		p.tracer.mu.Lock()
		defer p.tracer.mu.Unlock()
		if p.tracer.ch != nil {
			return filepath.Join(p.tracer.ch.Dir(), "view", target+".gds")
		}
	}
	return ""
}

// showTrace shows a frame as it arrives: its layout is written to the
// target's trace view and pushed as a good build's is, with its cells'
// hashes, so that KLayout, showing the frame before, reads only the cells
// this one changed, keeping its view; a frame identical to the one shown
// changes nothing and is not sent. It runs beside the build, which never
// waits for it.
func (p *Pipeline) showTrace(ctx context.Context, f tracing.Frame) {
	if p.push == nil {
		return
	}
	view := p.TraceView(f.Target)
	if view == "" {
		return
	}
	data, err := os.ReadFile(f.Path)
	if err == nil {
		err = writeView(view, data)
	}
	if err == nil {
		// A frame the gds package cannot read is pushed whole: KLayout
		// may read it.
		l, cells, _ := pushLayout(ctx, view, data)
		l.Factories = p.factoriesOf(cells)
		l.LayerProperties = p.proj.Config.LayerProperties
		_, err = p.push.Push(ctx, l)
	}
	if err != nil && ctx.Err() == nil {
		p.tracer.mu.Lock()
		told := p.tracer.told
		p.tracer.told = true
		p.tracer.mu.Unlock()
		if !told {
			p.logf("trace: show frame %d of %s: %v", f.Seq, f.Target, err)
		}
	}
}

// writeView makes dst hold b, replaced atomically.
func writeView(dst string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return session.WriteFileAtomic(dst, b, 0o644)
}

// currentCycle returns the trace of the cycle under way, nil without one.
func (p *Pipeline) currentCycle() *tracing.Cycle {
	if p.tracer == nil {
		return nil
	}
	p.tracer.mu.Lock()
	defer p.tracer.mu.Unlock()
	return p.tracer.cycle
}

// traceStage takes the frames the build traced while it ran: they are
// kept with its history frame (historyStage) and named in the report.
type traceStage struct{ p *Pipeline }

func (traceStage) name() string { return "trace" }

func (s traceStage) run(ctx context.Context, b *built) (string, error) {
	cy := s.p.currentCycle()
	if cy == nil {
		return "", errQuiet
	}
	b.trace, b.traceDropped = cy.Take(b.target.Key())
	if len(b.trace) == 0 && b.traceDropped == 0 {
		return "", errQuiet
	}
	note := plural(len(b.trace), "frame")
	if b.traceDropped > 0 {
		note += fmt.Sprintf(", %d past the bounds dropped", b.traceDropped)
	}
	return note, nil
}

// report lists the traced frames.
func (traceStage) report(b *built, r *loop.StageReport) {
	tr := &loop.TraceReport{Frames: []loop.TraceFrame{}, Dropped: b.traceDropped}
	for i, f := range b.trace {
		tr.Frames = append(tr.Frames, loop.TraceFrame{Step: i + 1, Label: f.Label, Cell: f.Cell, Time: f.Time, Bytes: f.Size})
	}
	r.Trace = tr
}
