package pipeline

import (
	"context"
	"errors"
	"sync"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/ipc"
)

// Pusher shows layouts in KLayout: KLayout over lywatch's ipc.Pusher, or a
// fake in tests.
type Pusher interface {
	// Push shows l. The note says what KLayout did ("reload, followed A
	// → B", "incremental (3 cells)"), for the summary line.
	Push(ctx context.Context, l *ipc.Layout) (note string, err error)
	// Note shows a one-line note in KLayout (a failed build) while the
	// last good layout stays; the next push clears it.
	Note(ctx context.Context, text string) error
	// Probe returns the KLayouts that have not been shown the last good
	// layout: started or restarted since.
	Probe(ctx context.Context) []string
}

// pushStage shows a good build's layout (or the cached one) in KLayout:
// the bytes that were read and hashed, with the cells' hashes so that only
// the changed cells travel to a KLayout already showing the layout before.
type pushStage struct{ p *Pipeline }

func (pushStage) name() string { return "push" }

func (s pushStage) run(ctx context.Context, b *built) (string, error) {
	p := s.p
	if p.push == nil || b.target.Output == "" {
		return "", errQuiet
	}
	l := &ipc.Layout{Path: b.target.Output, Data: b.data, Cells: b.hashes,
		LayerProperties: p.proj.Config.LayerProperties, Activate: len(b.trace) > 0}
	if b.lib != nil {
		if tops := b.lib.TopCells(); len(tops) > 0 {
			l.Top = tops[0]
		}
		l.Factories = p.factoriesOf(b.cells)
	}
	note, err := p.push.Push(ctx, l)
	if err == nil {
		p.shown(b.target.Key(), b.target.Output)
	}
	return note, err
}

// factoriesOf names the factory of each cell of a layout (a good build,
// a trace frame), so that the view can follow a cell the edit renamed:
// the one the layout names, else the graph's.
func (p *Pipeline) factoriesOf(cells []depgraph.CellInfo) map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(cells))
	for _, c := range cells {
		f := c.Factory
		if f == "" && p.graph != nil {
			f = p.graph.FactoryOf(c)
		}
		if f != "" {
			out[c.Name] = f
		}
	}
	return out
}

// shown records the layout last shown for a target: what a KLayout that
// comes back is shown again.
func (p *Pipeline) shown(key, path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastShown == nil {
		p.lastShown = map[string]string{}
	}
	p.lastShown[key] = path
}

// KLayout makes a Pusher of lywatch's client. With nothing listening it
// says so once through logf, with the remedy, and the push counts as done:
// lywatch keeps watching. A push cancelled because a newer one started
// counts as done too.
func KLayout(p *ipc.Pusher, logf func(string, ...any)) Pusher {
	return &klayout{p: p, logf: logf}
}

type klayout struct {
	p    *ipc.Pusher
	logf func(string, ...any)
	mu   sync.Mutex
	told bool // "no KLayout listening" said since the last good push
}

func (k *klayout) Push(ctx context.Context, l *ipc.Layout) (string, error) {
	rep, err := k.p.Push(ctx, l)
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case errors.Is(err, ipc.ErrNoServer):
		if !k.told {
			k.told = true
			k.logf("%v", err)
		}
		return "no KLayout", nil
	case errors.Is(err, ipc.ErrSuperseded) || errors.Is(context.Cause(ctx), ipc.ErrSuperseded):
		return "superseded by a newer layout", nil
	case err != nil:
		return "", err
	}
	k.told = false
	return rep.Summary(), nil
}

func (k *klayout) Note(ctx context.Context, text string) error { return k.p.Note(ctx, text) }

func (k *klayout) Probe(ctx context.Context) []string { return k.p.Probe(ctx) }

// lastGood is the layout at path, shown whole (its bytes are read from
// the file when they must travel).
func lastGood(path string) *ipc.Layout { return &ipc.Layout{Path: path} }
