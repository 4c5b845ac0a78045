package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/watcher"
)

// readStage reads the layout a good build wrote, hashes its cells, gives
// the hierarchy to the graph and counts the cells that changed. A layout
// that does not read fails the stage, so nothing is saved or pushed: the
// last good layout stays in KLayout.
type readStage struct{ p *Pipeline }

func (readStage) name() string { return "read" }

func (s readStage) run(ctx context.Context, b *built) (string, error) {
	p, key := s.p, b.target.Key()
	if b.target.Output == "" {
		p.settle(key, b.gen, nil, nil, b)
		return "", errQuiet
	}
	// The output is read once: a process the build left behind that
	// writes it again cannot slip other bytes under the hashes. Hashes,
	// children and metadata are all the stages need: no shapes.
	data, err := os.ReadFile(b.target.Output)
	if err != nil {
		return "", err
	}
	lib, err := gds.ReadContext(ctx, bytes.NewReader(data), gds.ReadOptions{HashOnly: true})
	if err != nil {
		err = fmt.Errorf("%s: %w", b.target.Output, err)
		p.note(ctx, "the layout does not read: "+err.Error())
		return "", err
	}
	b.data = data
	hashes, err := lib.Hashes()
	if err != nil {
		return "", fmt.Errorf("%s: %w", b.target.Output, err)
	}
	b.lib, b.hashes, b.cells = lib, hashes, layoutCells(lib, b.target.Output)
	p.LoadGraph(ctx) // the graph links the cells to their factories
	p.mu.Lock()
	if p.graph != nil {
		p.graph.SetLayout(key, b.cells)
	}
	p.mu.Unlock()
	p.previousLayout(key)
	own, below := p.settle(key, b.gen, hashes, lib.TopCells(), b)
	p.mu.Lock()
	b.settled = p.settled[key]
	p.mu.Unlock()
	note := readNote(len(hashes), own, below)
	if ghosts := lib.Ghosts(); len(ghosts) > 0 {
		// Placed but never defined: KLayout shows them as ghost cells.
		note += ", " + plural(len(ghosts), "ghost cell")
		shown := ghosts[:min(len(ghosts), 5)]
		more := ""
		if len(ghosts) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(ghosts)-len(shown))
		}
		p.logf("%s: cells placed but not defined (ghost cells, as KLayout reads them): %s%s", b.target.Output, strings.Join(shown, ", "), more)
	}
	return note, nil
}

// settle records a target's good build of plan gen: what plan gen and
// earlier plans marked is no longer pending (marks of later plans stay:
// the build did not see their edits), and its layout is the last good
// one. It counts the cells that changed their own content (new, or
// another local hash) and those changed only through a child (the same
// local hash, another deep hash), and names both, and the cells removed,
// in b.
func (p *Pipeline) settle(target string, gen int64, hashes map[string]gds.CellHash, tops []string, b *built) (own, below int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pt := p.pending[target]; pt != nil {
		if pt.marked <= gen {
			delete(p.pending, target)
		} else {
			pt.failed = false
			if pt.all <= gen {
				pt.all = 0
			}
			for f, g := range pt.factories {
				if g <= gen {
					delete(pt.factories, f)
				}
			}
		}
	}
	if len(p.pending) == 0 {
		p.carried = watcher.ChangeSet{}
	}
	if hashes == nil {
		return 0, 0
	}
	p.settled[target]++
	prev := p.layouts[target]
	next := layoutState{deep: make(map[string]string, len(hashes)), local: make(map[string]string, len(hashes)), tops: tops}
	for n, h := range hashes {
		next.deep[n], next.local[n] = h.Deep, h.Local
		switch {
		case prev.local[n] != h.Local:
			own++
		case prev.deep[n] != h.Deep:
			below++
		default:
			continue
		}
		b.changed = append(b.changed, n)
	}
	for n := range prev.deep {
		if _, ok := hashes[n]; !ok {
			b.removed = append(b.removed, n)
		}
	}
	sort.Strings(b.changed)
	sort.Strings(b.removed)
	p.layouts[target] = next
	return own, below
}

// readNote is the read stage's note: the layout's cells, how many
// changed their own content (new cells included) and how many changed
// only through a child.
func readNote(cells, own, below int) string {
	note := fmt.Sprintf("%s, %d changed", plural(cells, "cell"), own)
	if below > 0 {
		note += fmt.Sprintf(", %d with changed children", below)
	}
	return note
}

// report names the cells the build changed and removed.
func (readStage) report(b *built, r *loop.StageReport) {
	r.Cells = &loop.CellChanges{Changed: append([]string{}, b.changed...), Removed: append([]string{}, b.removed...)}
}
