package klayout_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// makeEdits writes a layout and edits of it with KLayout's batch mode:
//
//	a: chip > mzi_L10 > mmi1x2_WM2p5, chip > pad, chip > 30 leaves
//	b: one leaf's shape moved, pad removed, a new layer 3/0 in a leaf,
//	   the mmi renamed mmi1x2_WM6 (its width changed)
//	c: b with one more leaf changed
func makeEdits(t *testing.T, dir string) map[string]string {
	t.Helper()
	testsupport.Batch(t, `
import pya, os
def make(name, v):
    ly = pya.Layout()
    ly.dbu = 0.001
    chip = ly.create_cell("chip")
    mzi = ly.create_cell("mzi_L10")
    mmi = ly.create_cell("mmi1x2_WM2p5" if v == "a" else "mmi1x2_WM6")
    mmi.shapes(ly.layer(1, 0)).insert(pya.Box(0, -1000, 10000, 1000 if v == "a" else 3000))
    mzi.insert(pya.CellInstArray(mmi.cell_index(), pya.Trans(20000, 0)))
    mzi.shapes(ly.layer(1, 0)).insert(pya.Box(0, 0, 100000, 500))
    chip.insert(pya.CellInstArray(mzi.cell_index(), pya.Trans(0, 0)))
    if v == "a":
        pad = ly.create_cell("pad")
        pad.shapes(ly.layer(2, 0)).insert(pya.Box(0, 0, 80000, 80000))
        chip.insert(pya.CellInstArray(pad.cell_index(), pya.Trans(200000, 0)))
    for i in range(30):
        leaf = ly.create_cell("leaf_%02d" % i)
        dx = 500 if (v != "a" and i == 7) or (v == "c" and i == 8) else 0
        leaf.shapes(ly.layer(1, 0)).insert(pya.Box(dx, 0, dx + 2000, 2000))
        leaf.shapes(ly.layer(2, 0)).insert(pya.Polygon([pya.Point(0, 0), pya.Point(900, 0), pya.Point(0, 900)]))
        if v != "a" and i == 3:
            leaf.shapes(ly.layer(3, 0)).insert(pya.Box(0, 0, 100, 100))
        chip.insert(pya.CellInstArray(leaf.cell_index(), pya.Trans(i * 5000, 100000)))
    ly.write(os.path.join(dir, v + ".gds"))
for v in "abc":
    make(v, v)
`, map[string]string{"dir": dir})
	return map[string]string{"a": filepath.Join(dir, "a.gds"), "b": filepath.Join(dir, "b.gds"), "c": filepath.Join(dir, "c.gds")}
}

// layoutOf reads a version as the pipeline holds it: bytes and hashes.
func layoutOf(t *testing.T, src, path string) *ipc.Layout {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, src, path)
	lib, err := gds.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lib.Hashes()
	if err != nil {
		t.Fatal(err)
	}
	return &ipc.Layout{Path: path, Data: raw, Cells: h, Top: "chip"}
}

// sameCells compares what KLayout holds in two views, cell by cell.
func sameCells(t *testing.T, c *ipc.Client, a, b int) {
	t.Helper()
	ra, err := c.Cells(ctxT(t, 10*time.Second), a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := c.Cells(ctxT(t, 10*time.Second), b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.Cells) != len(rb.Cells) {
		t.Errorf("view %d has %d cells, view %d %d", a, len(ra.Cells), b, len(rb.Cells))
	}
	for i := range min(len(ra.Cells), len(rb.Cells)) {
		x, y := ra.Cells[i], rb.Cells[i]
		if x.Name != y.Name || x.Digest != y.Digest || x.Ghost != y.Ghost || x.Instances != y.Instances {
			t.Errorf("cell %d: view %d %+v, view %d %+v", i, a, x, b, y)
		}
	}
}

// TestIncrementalPush: after a push that sends only the changed cells, the
// layout in KLayout is the one a full reload gives, cell by cell, with a
// removed cell, a new layer and a renamed cell; a KLayout that restarted or
// shows another layout gets the whole file.
func TestIncrementalPush(t *testing.T) {
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(), ExtraMacro: []byte(testsupport.EditMacro)})
	dir := t.TempDir()
	v := makeEdits(t, dir)
	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 20 * time.Second, Root: dir}
	chip := filepath.Join(dir, "chip.gds")
	newPusher := func(bytes ipc.BytesMode) *ipc.Pusher {
		return ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return []string{g.Addr} }, Token: g.Token, Root: dir, Bytes: bytes})
	}
	p := newPusher(ipc.BytesAuto)
	pushOne := func(t *testing.T, p *ipc.Pusher, l *ipc.Layout) ipc.TargetReport {
		t.Helper()
		rep, err := p.Push(ctxT(t, 20*time.Second), l)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Targets[0]
	}

	t.Run("only the changed cells travel; the result equals a full reload", func(t *testing.T) {
		if r := pushOne(t, p, layoutOf(t, v["a"], chip)); r.Type != "open" {
			t.Fatalf("first push: %+v", r)
		}
		if err := c.Call(ctxT(t, 10*time.Second), ipc.CmdCell, map[string]any{"name": "mmi1x2_WM2p5"}, nil); err != nil {
			t.Fatal(err)
		}
		c.Zoom(ctxT(t, 10*time.Second), 19, -2, 31, 2)
		box := viewOf(t, c, 0).Box
		r := pushOne(t, p, layoutOf(t, v["b"], chip))
		// leaf_07 moved, leaf_03 has a new layer, the mmi is renamed: its
		// parent mzi_L10 names it; chip no longer places pad.
		if r.Type != "incremental" || r.Changed != 5 || r.Removed != 2 || r.Sent == 0 || r.Fallback != "" {
			t.Errorf("second push: %+v, want incremental with 5 cells and 2 removed", r)
		}
		if want := []ipc.Follow{{View: 0, From: "mmi1x2_WM2p5", To: "mmi1x2_WM6", Kind: "followed"}}; !slices.Equal(r.Followed, want) {
			t.Errorf("followed %+v, want %+v", r.Followed, want)
		}
		w := viewOf(t, c, 0)
		if w.Dirty || w.Cell != "mmi1x2_WM6" || !sameBox(w.Box, box, 0.001) || !slices.Contains(w.Layers, "3/0") {
			t.Errorf("view after the incremental push: %+v", w)
		}
		full := filepath.Join(dir, "full.gds")
		copyFile(t, v["b"], full)
		push(t, c, full, ipc.PushOptions{NewView: true})
		sameCells(t, c, 0, 1)
		// Nothing changed: nothing travels.
		if r := pushOne(t, p, layoutOf(t, v["b"], chip)); r.Type != "none" || r.Sent != 0 {
			t.Errorf("a push of the same layout: %+v, want none", r)
		}
		r = pushOne(t, p, layoutOf(t, v["c"], chip))
		if r.Type != "incremental" || r.Changed != 1 {
			t.Errorf("third push: %+v, want incremental with one cell", r)
		}
		copyFile(t, v["c"], full)
		push(t, c, full, ipc.PushOptions{}) // a reload of another view (its layer properties kept: an undo entry)
		sameCells(t, c, 0, 1)
		if r := pushOne(t, p, layoutOf(t, v["b"], chip)); r.Type != "incremental" || len(r.LeftAlone) != 0 {
			t.Errorf("an incremental push after another view's reload: %+v, want incremental", r)
		}
	})

	t.Run("a restarted KLayout gets the whole layout", func(t *testing.T) {
		g.Restart()
		r := pushOne(t, p, layoutOf(t, v["c"], chip)) // sent against b: no view shows it
		if r.Type != "open" || r.Fallback == "" {
			t.Errorf("push after a restart: %+v, want a full open saying why", r)
		}
		if r := pushOne(t, p, layoutOf(t, v["a"], chip)); r.Type != "incremental" {
			t.Errorf("the push after: %+v, want incremental", r)
		}
		full := filepath.Join(dir, "full-a.gds")
		copyFile(t, v["a"], full)
		push(t, c, full, ipc.PushOptions{NewView: true})
		sameCells(t, c, 0, 1)
	})

	t.Run("with the bytes in the message too; another writer gets the whole layout", func(t *testing.T) {
		pb := newPusher(ipc.BytesAlways)
		remote := filepath.Join(dir, "remote.gds")
		if r := pushOne(t, pb, layoutOf(t, v["a"], remote)); r.Type != "open" || r.Sent == 0 {
			t.Fatalf("first push with bytes: %+v", r)
		}
		r := pushOne(t, pb, layoutOf(t, v["b"], remote))
		if r.Type != "incremental" {
			t.Errorf("second push with bytes: %+v, want incremental", r)
		}
		// Another client pushes the whole file: the first one's next push
		// is refused as a mismatch and sent whole.
		other := newPusher(ipc.BytesAlways)
		if r := pushOne(t, other, layoutOf(t, v["a"], remote)); r.Type != "reload" {
			t.Fatalf("another writer: %+v", r)
		}
		r = pushOne(t, pb, layoutOf(t, v["c"], remote))
		if r.Type != "reload" || r.Fallback == "" {
			t.Errorf("push after another writer: %+v, want a full reload saying why", r)
		}
	})

	t.Run("an edit made in KLayout after an incremental push is left alone", func(t *testing.T) {
		g.Edit(0)
		r := pushOne(t, p, layoutOf(t, v["b"], chip))
		if r.Type != "none" || len(r.LeftAlone) != 1 {
			t.Errorf("push over an edit: %+v, want the view left alone", r)
		}
		if r := pushOne(t, p, layoutOf(t, v["c"], chip)); r.Type != "none" || len(r.LeftAlone) != 1 {
			t.Errorf("next push over the edit: %+v, want the view left alone", r)
		}
	})

	t.Run("a KLayout that cannot read the path gets the layout itself", func(t *testing.T) {
		elsewhere := t.TempDir() // a folder this KLayout was never allowed to read
		pb := ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return []string{g.Addr} }, Token: g.Token,
			Root: filepath.Join(elsewhere, "not-here")})
		path := filepath.Join(elsewhere, "unseen.gds")
		r := pushOne(t, pb, layoutOf(t, v["a"], path))
		if r.Type != "open" || r.Sent == 0 {
			t.Errorf("push of a path KLayout may not read: %+v, want the bytes sent", r)
		}
		if r := pushOne(t, pb, layoutOf(t, v["b"], path)); r.Type != "incremental" || r.Sent == 0 {
			t.Errorf("the next push: %+v, want incremental bytes", r)
		}
	})
}
