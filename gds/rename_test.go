package gds

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// rect is a rectangle on layer 1 of width w.
func rect(w int32) Shape {
	return Shape{Kind: Boundary, Layer: 1, XY: []Point{{0, 0}, {w, 0}, {w, 10}, {0, 10}, {0, 0}}}
}

// made returns a cell of factory f (kfactory 1.x metadata; no metadata
// when f is "") with one rectangle of width w.
func made(name, f string, w int32, refs ...Ref) *Cell {
	c := &Cell{Name: name, Shapes: []Shape{rect(w)}, Refs: refs}
	if f != "" {
		c.Meta = map[string]string{"kfactory:function_name": f}
	}
	return c
}

func at(name string, x, y int32) Ref { return Ref{Name: name, Origin: Point{x, y}} }

func library(cells ...*Cell) *Library {
	return &Library{Name: "LIB", UserUnit: 1e-3, DBU: 1e-9, Cells: cells}
}

// diffString prints what a test checks of a DiffResult.
func diffString(d *DiffResult) string {
	var changed []string
	for _, c := range d.Changed {
		s := cellDiffs([]CellDiff{c})
		if c.RenamedFrom != "" {
			s = c.Name + " renamed from " + c.RenamedFrom + strings.TrimPrefix(s, c.Name)
		}
		changed = append(changed, s)
	}
	return fmt.Sprintf("added %v removed %v changed [%s]", d.Added, d.Removed, strings.Join(changed, "; "))
}

// byPrefix is a Factory for cells without metadata, named factory_PARAMS:
// the factory is the name up to the first "_" and capital letter.
func byPrefix(name string, _ map[string]string) string {
	for i := 0; i+1 < len(name); i++ {
		if name[i] == '_' && name[i+1] >= 'A' && name[i+1] <= 'Z' {
			return name[:i]
		}
	}
	return ""
}

func TestDiffRenamedCells(t *testing.T) {
	tests := []struct {
		name    string
		a, b    *Library
		factory func(string, map[string]string) string
		want    string
	}{
		{"one pair",
			library(made("mmi1x2_W0p5_WM2p5", "mmi1x2", 20), made("TOP", "", 1, at("mmi1x2_W0p5_WM2p5", 0, 0))),
			library(made("mmi1x2_W0p5_WM6", "mmi1x2", 30), made("TOP", "", 1, at("mmi1x2_W0p5_WM6", 0, 0))),
			nil,
			"added [] removed [] changed [TOP: instances; mmi1x2_W0p5_WM6 renamed from mmi1x2_W0p5_WM2p5: layer 1/0 +1 -1]"},
		{"same contents",
			library(made("s_L1", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0))),
			library(made("s_L2", "straight", 20), made("TOP", "", 1, at("s_L2", 0, 0))),
			nil,
			"added [] removed [] changed [TOP: instances; s_L2 renamed from s_L1: ]"},
		{"top cell renamed",
			library(made("chip_W1", "chip", 20)),
			library(made("chip_W2", "chip", 30)),
			nil,
			"added [] removed [] changed [chip_W2 renamed from chip_W1: layer 1/0 +1 -1]"},
		{"no metadata",
			library(made("s_L1", "", 20), made("TOP", "", 1, at("s_L1", 0, 0))),
			library(made("s_L2", "", 20), made("TOP", "", 1, at("s_L2", 0, 0))),
			nil,
			"added [s_L2] removed [s_L1] changed [TOP: instances]"},
		{"another factory",
			library(made("s_L1", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0))),
			library(made("b_R2", "bend", 20), made("TOP", "", 1, at("b_R2", 0, 0))),
			nil,
			"added [b_R2] removed [s_L1] changed [TOP: instances]"},
		{"several, placed apart",
			library(made("s_L1", "straight", 10), made("s_L2", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0), at("s_L2", 100, 0))),
			library(made("s_L3", "straight", 10), made("s_L4", "straight", 25), made("TOP", "", 1, at("s_L4", 100, 0), at("s_L3", 0, 0))),
			nil,
			"added [] removed [] changed [TOP: instances; s_L3 renamed from s_L1: ; s_L4 renamed from s_L2: layer 1/0 +1 -1]"},
		{"several at one place: ambiguous",
			library(made("s_L1", "straight", 10), made("s_L2", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0), at("s_L2", 0, 0))),
			library(made("s_L3", "straight", 10), made("s_L4", "straight", 25), made("TOP", "", 1, at("s_L3", 0, 0), at("s_L4", 0, 0))),
			nil,
			"added [s_L3 s_L4] removed [s_L1 s_L2] changed [TOP: instances]"},
		{"several, one moved: ambiguous",
			library(made("s_L1", "straight", 10), made("s_L2", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0), at("s_L2", 100, 0))),
			library(made("s_L3", "straight", 10), made("s_L4", "straight", 25), made("TOP", "", 1, at("s_L3", 0, 0), at("s_L4", 100, 5))),
			nil,
			"added [s_L4] removed [s_L2] changed [TOP: instances; s_L3 renamed from s_L1: ]"},
		{"two removed, one added",
			library(made("s_L1", "straight", 10), made("s_L2", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0), at("s_L2", 100, 0))),
			library(made("s_L3", "straight", 30), made("TOP", "", 1, at("s_L3", 100, 0))),
			nil,
			"added [] removed [s_L1] changed [TOP: instances; s_L3 renamed from s_L2: layer 1/0 +1 -1]"},
		{"rotated instance is another place",
			library(made("s_L1", "straight", 10), made("s_L2", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0), at("s_L2", 100, 0))),
			library(made("s_L3", "straight", 10), made("s_L4", "straight", 20), made("TOP", "", 1, at("s_L3", 0, 0),
				Ref{Name: "s_L4", Origin: Point{100, 0}, Strans: Strans{Angle: 90, HasAngle: true}})),
			nil,
			"added [s_L4] removed [s_L2] changed [TOP: instances; s_L3 renamed from s_L1: ]"},
		{"renamed parents, then their children",
			library(made("mmi_W1", "mmi", 10), made("mmi_W2", "mmi", 20),
				made("mzi_D1", "mzi", 1, at("mmi_W1", 0, 0)), made("mzi_D2", "mzi", 2, at("mmi_W2", 0, 0)),
				made("TOP", "", 1, at("mzi_D1", 0, 0), at("mzi_D2", 0, 500))),
			library(made("mmi_W3", "mmi", 15), made("mmi_W4", "mmi", 25),
				made("mzi_D3", "mzi", 1, at("mmi_W3", 0, 0)), made("mzi_D4", "mzi", 2, at("mmi_W4", 0, 0)),
				made("TOP", "", 1, at("mzi_D4", 0, 500), at("mzi_D3", 0, 0))),
			nil,
			"added [] removed [] changed [TOP: instances; mmi_W3 renamed from mmi_W1: layer 1/0 +1 -1; " +
				"mmi_W4 renamed from mmi_W2: layer 1/0 +1 -1; mzi_D3 renamed from mzi_D1: instances; mzi_D4 renamed from mzi_D2: instances]"},
		{"factory from the name",
			library(made("s_L1", "", 20), made("TOP", "", 1, at("s_L1", 0, 0))),
			library(made("s_L2", "", 20), made("TOP", "", 1, at("s_L2", 0, 0))),
			byPrefix,
			"added [] removed [] changed [TOP: instances; s_L2 renamed from s_L1: ]"},
		{"no factory pairs nothing",
			library(made("s_L1", "straight", 20), made("TOP", "", 1, at("s_L1", 0, 0))),
			library(made("s_L2", "straight", 20), made("TOP", "", 1, at("s_L2", 0, 0))),
			func(string, map[string]string) string { return "" },
			"added [s_L2] removed [s_L1] changed [TOP: instances]"},
		{"ghosts are not paired",
			library(made("TOP", "", 1, at("s_L1", 0, 0)), &Cell{Name: "s_L1", Ghost: true}),
			library(made("s_L2", "", 20), made("TOP", "", 1, at("s_L2", 0, 0))),
			byPrefix,
			"added [s_L2] removed [s_L1] changed [TOP: instances]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DiffWith(tt.a, tt.b, DiffOptions{Factory: tt.factory})
			if got := diffString(d); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if d.Equal {
				t.Error("Equal")
			}
			// The same from the other side.
			back := DiffWith(tt.b, tt.a, DiffOptions{Factory: tt.factory})
			if len(back.Changed) != len(d.Changed) || len(back.Added) != len(d.Removed) {
				t.Errorf("B to A: %s", diffString(back))
			}
		})
	}
}

// TestDiffRenamedFromFile checks the default factory on metadata read from
// files: kfactory 1.x's context cell written here, and kfactory 0.13's in
// a third-party file.
func TestDiffRenamedFromFile(t *testing.T) {
	meta := func(f string) []Property {
		return []Property{{Attr: 0, Value: "META('kfactory:function_name')='" + f + "'"}}
	}
	write := func(leaf string, w int32) *Library {
		lib := library(made(leaf, "", w), made("TOP", "", 1, at(leaf, 0, 0)))
		lib.Context = &Cell{Name: ContextCellName, Refs: []Ref{{Name: leaf, Props: meta("mmi1x2")}}}
		return roundTrip(t, lib)
	}
	a, b := write("mmi1x2_W0p5_WM2p5", 20), write("mmi1x2_W0p5_WM6", 30)
	if got := a.Cell("mmi1x2_W0p5_WM2p5").Meta["kfactory:function_name"]; got != "mmi1x2" {
		t.Fatalf("metadata %q", got)
	}
	want := "added [] removed [] changed [TOP: instances; mmi1x2_W0p5_WM6 renamed from mmi1x2_W0p5_WM2p5: layer 1/0 +1 -1]"
	if got := diffString(Diff(a, b)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	lib, err := ReadFile(filepath.Join(testsupport.SharedGDSDir(t), "gdsfactory_straight.gds"))
	if err != nil {
		t.Fatal(err)
	}
	c := lib.Cells[0]
	old := c.Name
	next := roundTrip(t, lib)
	n := next.Cells[0]
	n.Name = strings.Replace(old, "L1p234", "L2", 1)
	n.Shapes[0].XY[1].X += 766
	next.Context.Refs[0].Name = n.Name
	next = roundTrip(t, next)
	d := Diff(lib, next)
	if len(d.Changed) != 1 || d.Changed[0].RenamedFrom != old || d.Changed[0].Name != n.Name ||
		len(d.Added)+len(d.Removed) != 0 || !slices.Equal(d.Changed[0].Layers, []LayerDiff{{Layer: n.Shapes[0].Layer, Datatype: n.Shapes[0].Type, Added: 1, Removed: 1}}) {
		t.Errorf("%s", diffString(d))
	}
}

// TestDiffRenamedKLayout checks Diff on a pair KLayout writes: two versions
// of a layout in which an edit renamed a parameterised leaf
// (testdata/make_renamed.py). The leaf must be one cell, renamed, with the
// per-layer differences KLayout's LayoutDiff finds between the two leaves.
// KLayout 0.28.5 writes no per-cell metadata, so the factory comes from the
// name here.
func TestDiffRenamedKLayout(t *testing.T) {
	testsupport.KLayout(t)
	dir := t.TempDir()
	out := testsupport.Batch(t, script(t, "make_renamed.py"), map[string]string{"out": dir})
	var old, nw string
	var layers []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "renamed":
			old, nw = f[1], f[2]
		case len(f) == 6 && f[0] == "layer":
			layers = append(layers, fmt.Sprintf("layer %s +%s -%s", f[1], f[5], f[3]))
		}
	}
	if old == "" || len(layers) == 0 {
		t.Fatalf("KLayout printed:\n%s", out)
	}
	a, err := ReadFile(filepath.Join(dir, "a.gds"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadFileContext(t.Context(), filepath.Join(dir, "b.gds"), ReadOptions{HashOnly: true, KeepDigests: true})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("added [] removed [] changed [TOP: instances; %s renamed from %s: %s]", nw, old, strings.Join(layers, ", "))
	if got := diffString(DiffWith(a, b, DiffOptions{Factory: byPrefix})); got != want {
		t.Errorf("got  %s\nwant %s\nKLayout:\n%s", got, want, out)
	}
	// Without a factory (no metadata), the leaf is removed and added.
	want = fmt.Sprintf("added [%s] removed [%s] changed [TOP: instances]", nw, old)
	if got := diffString(Diff(a, b)); got != want {
		t.Errorf("default factory: got %s, want %s", got, want)
	}
}
