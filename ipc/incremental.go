package ipc

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lywatch/lywatch/gds"
)

// The incremental push: what the Pusher remembers of each KLayout and
// file, and the push of only the changed cells.

// pushPartial tries an incremental push: only the cells whose own content
// (local hash) changed, and the new ones, with the names of those removed.
// done is false when a full push must follow (fallback says why).
func (p *Pusher) pushPartial(ctx context.Context, c *Client, l *Layout, data []byte, st *pushedState, opt PushOptions, t *TargetReport) (done bool, fallback string) {
	key := stateKey{addr: t.Addr, path: l.Path}
	changed, removed := diffCells(st.cells, l.Cells)
	if len(changed) == 0 && len(removed) == 0 {
		t.Type = "none" // what KLayout shows is this layout already
		return true, ""
	}
	keep := make(map[string]bool, len(changed))
	for _, n := range changed {
		keep[n] = true
	}
	part, dbu, ok := gds.CutCells(data, changed)
	if !ok {
		var err error
		if part, dbu, err = gds.ExtractCells(data, func(n string) bool { return keep[n] }); err != nil {
			return false, "the layout's changed cells could not be cut out: " + err.Error()
		}
	}
	if len(part) > len(data)/2 {
		return false, fmt.Sprintf("%d of %d cells changed", len(changed), len(l.Cells))
	}
	res, err := c.pushPartial(ctx, l.Path, opt, &partial{data: part, base: st.state, removed: removed,
		cells: len(l.Cells), dbu: dbu, copy: st.copy})
	var se *ServerError
	if errors.As(err, &se) && se.Code == CodeMismatch {
		p.forget(key)
		return false, se.Msg
	}
	if err != nil {
		p.forget(key)
		t.Err = err
		return true, ""
	}
	t.Changed, t.Removed = len(changed), len(removed)
	p.record(t, key, res, l, st.copy)
	return true, ""
}

// record keeps what a good push left in KLayout and fills the report.
func (p *Pusher) record(t *TargetReport, key stateKey, res *PushResult, l *Layout, copyMode bool) {
	t.Type, t.Load, t.Instance = res.Type, res.Load, res.Instance
	t.Followed, t.LeftAlone, t.Sent = res.Followed, res.LeftAlone, t.Sent+res.Sent
	if res.Fallback != "" {
		t.Fallback = res.Fallback
	}
	p.saw(t.Addr, t.Instance)
	if res.State == "" || l.Cells == nil || len(res.LeftAlone) > 0 {
		p.forget(key) // a view left alone shows something else
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.states == nil {
		p.states = map[stateKey]*pushedState{}
	}
	p.states[key] = &pushedState{state: res.State, copy: copyMode, cells: l.Cells}
}

// diffCells returns the cells of now that are new or whose own content
// changed (their local hash: a parent that only places a changed child is
// the same), sorted, and the cells of before that are gone.
func diffCells(before, now map[string]gds.CellHash) (changed, removed []string) {
	for n, h := range now {
		if b, ok := before[n]; !ok || b.Local != h.Local {
			changed = append(changed, n)
		}
	}
	removed = []string{}
	for n := range before {
		if _, ok := now[n]; !ok {
			removed = append(removed, n)
		}
	}
	slices.Sort(changed)
	slices.Sort(removed)
	return changed, removed
}

// stateKey names one file in one KLayout.
type stateKey struct{ addr, path string }

// pushedState is what the last good push left in one KLayout for one file:
// the state its reply named, whether the views show the server's copy,
// and the cells' hashes.
type pushedState struct {
	state string
	copy  bool
	cells map[string]gds.CellHash
}

func (p *Pusher) state(k stateKey) *pushedState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.states[k]
}

func (p *Pusher) forget(k stateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.states, k)
}
