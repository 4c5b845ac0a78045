package klayout_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// makeVersions writes versions of a kfactory-like layout into dir with
// KLayout's batch mode: chip > mzi_L10 > the mmi (named by its parameters),
// and chip > pad.
//
//	v1: mmi1x2_W0p5_WM2p5 (layers 1/0, 2/0)
//	v2: the mmi renamed mmi1x2_W0p5_WM6 (its width changed), a new layer 3/0
//	v3: no mmi at all
//	v4: the mmi renamed xyz_A (only a factories map can tell)
func makeVersions(t *testing.T, dir string) map[string]string {
	t.Helper()
	testsupport.Batch(t, `
import pya, os
def make(name, mmi, extra):
    ly = pya.Layout()
    ly.dbu = 0.001
    chip = ly.create_cell("chip")
    mzi = ly.create_cell("mzi_L10")
    pad = ly.create_cell("pad")
    pad.shapes(ly.layer(2, 0)).insert(pya.Box(0, 0, 80000, 80000))
    mzi.shapes(ly.layer(1, 0)).insert(pya.Box(0, 0, 100000, 500))
    if mmi:
        m = ly.create_cell(mmi)
        m.shapes(ly.layer(1, 0)).insert(pya.Box(0, -1000, 10000 + extra * 1000, 1000))
        mzi.insert(pya.CellInstArray(m.cell_index(), pya.Trans(20000, 0)))
    if extra:
        chip.shapes(ly.layer(3, 0)).insert(pya.Box(0, 0, 1000, 1000))
    chip.insert(pya.CellInstArray(mzi.cell_index(), pya.Trans(0, 0)))
    chip.insert(pya.CellInstArray(pad.cell_index(), pya.Trans(200000, 0)))
    ly.write(os.path.join(dir, name + ".gds"))
make("v1", "mmi1x2_W0p5_WM2p5", 0)
make("v2", "mmi1x2_W0p5_WM6", 1)
make("v3", None, 1)
make("v4", "xyz_A", 1)
`, map[string]string{"dir": dir})
	out := map[string]string{}
	for _, v := range []string{"v1", "v2", "v3", "v4"} {
		out[v] = filepath.Join(dir, v+".gds")
	}
	return out
}

func viewOf(t *testing.T, c *ipc.Client, n int) ipc.View {
	t.Helper()
	st := status(t, c)
	if n >= len(st.AllViews) {
		t.Fatalf("no view %d: %+v", n, st.AllViews)
	}
	return st.AllViews[n]
}

// TestKLayoutViews is issue 12's follow the cell, every view of the file,
// layer properties and notes, against one real KLayout.
func TestKLayoutViews(t *testing.T) {
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(), ExtraMacro: []byte(testsupport.EditMacro)})
	dir := t.TempDir()
	v := makeVersions(t, dir)
	chip := filepath.Join(dir, "chip.gds")
	copyFile(t, v["v1"], chip)
	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 20 * time.Second, Root: dir}

	t.Run("a renamed current cell is followed and the box kept", func(t *testing.T) {
		push(t, c, chip, ipc.PushOptions{})
		if err := c.Call(ctxT(t, 10*time.Second), ipc.CmdCell, map[string]any{"name": "mmi1x2_W0p5_WM2p5"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Zoom(ctxT(t, 10*time.Second), 19, -2, 31, 2); err != nil {
			t.Fatal(err)
		}
		before := viewOf(t, c, 0)
		if !slices.Equal(before.Path, []string{"chip", "mzi_L10", "mmi1x2_W0p5_WM2p5"}) {
			t.Fatalf("path before %v", before.Path)
		}
		copyFile(t, v["v2"], chip)
		res := push(t, c, chip, ipc.PushOptions{})
		want := []ipc.Follow{{View: 0, From: "mmi1x2_W0p5_WM2p5", To: "mmi1x2_W0p5_WM6", Kind: "followed"}}
		if res.Type != "reload" || !slices.Equal(res.Followed, want) {
			t.Errorf("push: %+v, want a reload following %+v", res, want)
		}
		after := viewOf(t, c, 0)
		if !slices.Equal(after.Path, []string{"chip", "mzi_L10", "mmi1x2_W0p5_WM6"}) || after.Cell != "mmi1x2_W0p5_WM6" {
			t.Errorf("after the rename: path %v, cell %s", after.Path, after.Cell)
		}
		if !sameBox(after.Box, before.Box, 0.001) {
			t.Errorf("box %v after following, want %v", after.Box, before.Box)
		}
		rep := (&ipc.Report{Targets: []ipc.TargetReport{{Type: res.Type, Followed: res.Followed}}}).Summary()
		if want := "reload, followed mmi1x2_W0p5_WM2p5 → mmi1x2_W0p5_WM6"; rep != want {
			t.Errorf("summary %q, want %q", rep, want)
		}
	})

	t.Run("a factories map follows a cell whose name says nothing", func(t *testing.T) {
		copyFile(t, v["v4"], chip)
		res := push(t, c, chip, ipc.PushOptions{Factories: map[string]string{"mmi1x2_W0p5_WM6": "mmi", "xyz_A": "mmi", "mzi_L10": "mzi"}})
		if len(res.Followed) != 1 || res.Followed[0].To != "xyz_A" || res.Followed[0].Kind != "followed" {
			t.Errorf("followed %+v, want mmi1x2_W0p5_WM6 → xyz_A", res.Followed)
		}
		if cell := viewOf(t, c, 0).Cell; cell != "xyz_A" {
			t.Errorf("cell %s, want xyz_A", cell)
		}
	})

	t.Run("a removed cell with no replacement shows its parent, zoomed to fit", func(t *testing.T) {
		before := viewOf(t, c, 0)
		copyFile(t, v["v3"], chip)
		res := push(t, c, chip, ipc.PushOptions{})
		want := []ipc.Follow{{View: 0, From: "xyz_A", To: "mzi_L10", Kind: "parent"}}
		if !slices.Equal(res.Followed, want) {
			t.Errorf("followed %+v, want %+v", res.Followed, want)
		}
		after := viewOf(t, c, 0)
		if after.Cell != "mzi_L10" || sameBox(after.Box, before.Box, 0.001) {
			t.Errorf("after the removal: cell %s, box %v (was %v); want mzi_L10 zoomed to fit", after.Cell, after.Box, before.Box)
		}
		rep := (&ipc.Report{Targets: []ipc.TargetReport{{Type: res.Type, Followed: res.Followed}}}).Summary()
		if rep != "reload, xyz_A gone → mzi_L10" {
			t.Errorf("summary %q", rep)
		}
	})

	other := filepath.Join(dir, "other.gds")
	t.Run("every view of the file is reloaded, each keeping its view; the current view stays", func(t *testing.T) {
		copyFile(t, v["v1"], other)
		push(t, c, other, ipc.PushOptions{})              // view 1
		push(t, c, other, ipc.PushOptions{NewView: true}) // view 2, current
		if err := c.Zoom(ctxT(t, 10*time.Second), 0, 0, 50, 50); err != nil {
			t.Fatal(err)
		}
		copyFile(t, v["v1"], chip)
		push(t, c, chip, ipc.PushOptions{}) // view 0 reloaded: it stays current
		st := status(t, c)
		if st.CurrentView != 2 || st.Views != 3 {
			t.Fatalf("after reloading view 0: current view %d of %d, want 2 of 3", st.CurrentView, st.Views)
		}
		b1, b2 := st.AllViews[1].Box, st.AllViews[2].Box
		copyFile(t, v["v2"], other)
		res := push(t, c, other, ipc.PushOptions{})
		st = status(t, c)
		if res.Type != "reload" || res.Views != 2 || st.CurrentView != 2 || st.Views != 3 {
			t.Errorf("push of a file open in two views: %+v; current %d of %d views", res, st.CurrentView, st.Views)
		}
		for i, box := range map[int][]float64{1: b1, 2: b2} {
			w := st.AllViews[i]
			if !slices.Contains(w.Layers, "3/0") || !sameBox(w.Box, box, 0.001) {
				t.Errorf("view %d: layers %v, box %v; want 3/0 shown, box %v", i, w.Layers, w.Box, box)
			}
		}
	})

	t.Run("a view with edits made in KLayout is left alone, and the reply says so", func(t *testing.T) {
		g.Edit(1)
		if w := viewOf(t, c, 1); !w.Dirty {
			t.Fatalf("view 1 not edited: %+v", w)
		}
		copyFile(t, v["v1"], other)
		res, err := c.Push(ctxT(t, 20*time.Second), other, ipc.PushOptions{})
		if err != nil || res.Type != "reload" || res.Views != 1 || !slices.Equal(res.LeftAlone, []ipc.LeftAlone{{View: 1, Reason: "unsaved edits in KLayout"}}) {
			t.Errorf("push with view 1 edited: %+v, %v; want view 2 reloaded, view 1 left alone", res, err)
		}
		if !viewOf(t, c, 1).Dirty || !hasCell(t, c, 1, "mmi1x2_W0p5_WM6") || !hasCell(t, c, 2, "mmi1x2_W0p5_WM2p5") {
			t.Errorf("view 1 reloaded, or view 2 not")
		}
		if res := push(t, c, other, ipc.PushOptions{Force: true}); res.Views != 2 || len(res.LeftAlone) != 0 {
			t.Errorf("forced push: %+v", res)
		}
		if viewOf(t, c, 1).Dirty {
			t.Error("view 1 still edited after a forced push")
		}
	})

	t.Run("layer properties apply when a view opens and stay on reload", func(t *testing.T) {
		lyp := filepath.Join(dir, "layers.lyp")
		os.WriteFile(lyp, []byte(`<?xml version="1.0" encoding="utf-8"?>
<layer-properties>
 <properties><source>1/0@1</source><name>WG</name></properties>
 <properties><source>2/0@1</source><name>SLAB</name></properties>
</layer-properties>
`), 0o644)
		third := filepath.Join(dir, "third.gds")
		copyFile(t, v["v1"], third)
		p := ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return []string{g.Addr} }, Token: g.Token, Root: dir})
		for i := range 2 {
			if _, err := p.Push(ctxT(t, 20*time.Second), &ipc.Layout{Path: third, LayerProperties: lyp}); err != nil {
				t.Fatal(err)
			}
			st := status(t, c)
			w := st.AllViews[st.CurrentView]
			if w.File != third || !slices.Contains(w.LayerNames, "WG") || !slices.Contains(w.LayerNames, "SLAB") {
				t.Errorf("push %d: view %+v, want layers named WG and SLAB", i, w)
			}
		}
	})

	t.Run("a note in KLayout's status bar; the layout stays until the next push", func(t *testing.T) {
		before := status(t, c)
		p := ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return []string{g.Addr} }, Token: g.Token, Root: dir})
		if err := p.Note(ctxT(t, 10*time.Second), "build failed: chip.py:12: NameError: name 'widht' is not defined\nmore"); err != nil {
			t.Fatal(err)
		}
		st := status(t, c)
		if st.Note != "build failed: chip.py:12: NameError: name 'widht' is not defined more" || st.File != before.File || st.Loads != before.Loads {
			t.Errorf("after the note: note %q, file %s (was %s)", st.Note, st.File, before.File)
		}
		push(t, c, chip, ipc.PushOptions{})
		if st := status(t, c); st.Note != "" {
			t.Errorf("note %q after the next push, want none", st.Note)
		}
	})
}

func hasCell(t *testing.T, c *ipc.Client, view int, name string) bool {
	t.Helper()
	r, err := c.Cells(ctxT(t, 10*time.Second), view)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(r.Cells, func(ci ipc.CellInfo) bool { return ci.Name == name })
}
