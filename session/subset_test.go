package session

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lywatch/lywatch/gds"
)

// testLibrary has TOP -> A -> B and a second top cell OTHER.
func testLibrary(t *testing.T, dir string) string {
	t.Helper()
	box := func(l int16) gds.Shape {
		return gds.Shape{Kind: gds.Boundary, Layer: l, XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: 10}, {X: 10, Y: 10}, {X: 10, Y: 0}, {X: 0, Y: 0}}}
	}
	lib := &gds.Library{Name: "LIB", Version: 600, UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{
		{Name: "B", Shapes: []gds.Shape{box(1)}},
		{Name: "A", Shapes: []gds.Shape{box(2)}, Refs: []gds.Ref{{Name: "B"}}},
		{Name: "TOP", Refs: []gds.Ref{{Name: "A"}, {Name: "B", Origin: gds.Point{X: 50}}}},
		{Name: "OTHER", Shapes: []gds.Shape{box(3)}},
	}}
	p := filepath.Join(dir, "lib.gds")
	if err := gds.WriteFile(p, lib); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSaveCell(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	lay := testLibrary(t, t.TempDir())

	// No session yet: the cells only, untracked.
	m, err := s.SaveCell("chip", "A", lay)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != 2 || m.Cells[0].Name != "A" || m.Cells[1].Name != "B" ||
		!reflect.DeepEqual(m.Cells[0].Children, []string{"B"}) {
		t.Errorf("cells %+v", m.Cells)
	}
	v, err := Validate(context.Background(), root, m)
	if err != nil || v.Valid() || !v.Untracked {
		t.Errorf("a session with no tracked files validated as %+v, %v", v, err)
	}
	stored, err := gds.ReadFile(s.LayoutPath("chip"))
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.TopCells(); !reflect.DeepEqual(got, []string{"A"}) || len(stored.Cells) != 2 {
		t.Errorf("stored layout has tops %v and %d cells", got, len(stored.Cells))
	}

	// With a full session: keep its sources, cut its cells.
	full := testManifest(t, root, srcPaths(), 1)
	full.Cells = []Cell{{Name: "TOP"}, {Name: "A", Factory: "a_factory"}, {Name: "B"}, {Name: "OTHER"}}
	if err := s.Save("chip", full, lay); err != nil {
		t.Fatal(err)
	}
	m, err = s.SaveCell("chip", "A", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != len(srcPaths()) || len(m.Cells) != 2 || m.Cells[0].Factory != "a_factory" || m.Cells[0].Deep == "" {
		t.Errorf("subset of a full session: files %d, cells %+v", len(m.Files), m.Cells)
	}
	lib, _ := gds.ReadFile(lay)
	cells, err := CellsFromLayout(lib, nil)
	if err != nil || len(cells) != 4 || cells[0].Name != "A" || cells[2].Name != "OTHER" || len(cells[3].Children) != 2 {
		t.Errorf("CellsFromLayout = %+v, %v", cells, err)
	}
	if _, err := s.SaveCell("chip", "NOPE", ""); err == nil {
		t.Error("SaveCell of a missing cell succeeded")
	}
	if _, err := s.SaveCell("fresh", "A", ""); err == nil {
		t.Error("SaveCell with neither a session nor a layout succeeded")
	}
}

// TestCellsFromLayoutFactory: the session records the factory the one
// rule (gds.FactoryFromMeta) reads from a cell's metadata.
func TestCellsFromLayoutFactory(t *testing.T) {
	lib := &gds.Library{Name: "LIB", UserUnit: 1e-3, DBU: 1e-9, Cells: []*gds.Cell{
		{Name: "a", Meta: map[string]string{"kfactory:basename": "mmi", "kfactory:function_name": "mmi1x2"}},
		{Name: "b", Meta: map[string]string{"kfactory:settings:function_name": "straight"}},
		{Name: "c"},
	}}
	cells, err := CellsFromLayout(lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if want := gds.FactoryFromMeta(c.Name, lib.Cell(c.Name).Meta); c.Factory != want {
			t.Errorf("cell %s: factory %q, want %q", c.Name, c.Factory, want)
		}
	}
	if cells[0].Factory != "mmi" {
		t.Errorf("cell a: factory %q, want the basename mmi", cells[0].Factory)
	}
}
