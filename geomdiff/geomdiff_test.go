package geomdiff

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/internal/testsupport"
)

// buildPDK copies the example PDK, applies the edits (file -> old -> new)
// and builds its chip with KLayout into dir/name.
func buildPDK(t *testing.T, dir, name string, edits [][3]string) string {
	t.Helper()
	kl := testsupport.KLayout(t)
	src := testsupport.CopyPDK(t)
	for _, e := range edits {
		p := filepath.Join(src, e[0])
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), e[1]) {
			t.Fatalf("%s holds no %q", e[0], e[1])
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), e[1], e[2], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command(kl, "-b", "-r", filepath.Join(src, "build.py"), "-rd", "out="+out)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the PDK: %v\n%s", err, b)
	}
	return out
}

// byPrefix is kfactory's naming rule as a factory rule: the name up to the
// first "_".
func byPrefix(name string, _ map[string]string) string {
	f, _, _ := strings.Cut(name, "_")
	return f
}

// Edits of the example PDK: the MMI body wider (the cell is renamed with
// its parameter), the pads' openings smaller, the chip's metal wider.
var pdkEdits = [][3]string{
	{"mypdk/components/mmi.py", "width_mmi: float = 2.5", "width_mmi: float = 6"},
	{"mypdk/components/pads.py", "OPENING_INSET = 5.0", "OPENING_INSET = 6.0"},
	{"chip.py", "METAL_WIDTH = 5.0", "METAL_WIDTH = 6.0"},
}

const (
	mmiOld = "mmi1x2_W0p5_WT1_LT10_LM5p5_WM2p5_GM0p25"
	mmiNew = "mmi1x2_W0p5_WT1_LT10_LM5p5_WM6_GM0p25"
)

// oracleXOR is KLayout's own XOR of cell ca of a and cell cb of b, each
// flattened, per layer: area in square micrometres and polygon count.
func oracleXOR(t *testing.T, a, ca, b, cb string) map[string][2]float64 {
	t.Helper()
	out := testsupport.Batch(t, `
import json, pya
la, lb = pya.Layout(), pya.Layout()
la.read(a); lb.read(b)
A, B = la.cell(ca), lb.cell(cb)
keys = sorted(set((i.layer, i.datatype) for ly in (la, lb) for i in ly.layer_infos()))
res = {}
for l, d in keys:
    ra = pya.Region(A.begin_shapes_rec(la.layer(l, d)))
    rb = pya.Region(B.begin_shapes_rec(lb.layer(l, d)))
    x = ra ^ rb
    if not x.is_empty():
        res["%d/%d" % (l, d)] = [x.area() * lb.dbu * lb.dbu, x.count()]
print(json.dumps(res))
`, map[string]string{"a": a, "b": b, "ca": ca, "cb": cb})
	var res map[string][2]float64
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), &res); err != nil {
		t.Fatalf("oracle output %q: %v", out, err)
	}
	return res
}

func TestCompareMatchesKLayoutXOR(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := buildPDK(t, dir, "a.gds", nil)
	b := buildPDK(t, dir, "b.gds", pdkEdits)
	res, err := Compare(context.Background(), a, b, Options{Factory: byPrefix, RDB: filepath.Join(dir, "d.lyrdb")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Same || res.Identical {
		t.Fatalf("same geometry reported for a width edit: %+v", res)
	}
	want := map[string]string{mmiNew: mmiOld, "pad_S80": "pad_S80", "chip": "chip"}
	// The chip's own metal changed; the rest of its flattened XOR is the
	// MMIs and pads it places, reported at those cells.
	only := map[string]string{"chip": "41/0"}
	if len(res.Cells) != len(want) {
		t.Errorf("cells %v, want %v", names(res.Cells), want)
	}
	for _, c := range res.Cells {
		from, ok := want[c.Name]
		if !ok {
			t.Errorf("cell %s reported as different", c.Name)
			continue
		}
		if c.Name != from && c.RenamedFrom != from {
			t.Errorf("%s: renamed from %q, want %q", c.Name, c.RenamedFrom, from)
		}
		oracle := oracleXOR(t, a, from, b, c.Name)
		if l := only[c.Name]; l != "" {
			oracle = map[string][2]float64{l: oracle[l]}
		}
		if len(c.Layers) != len(oracle) {
			t.Errorf("%s: layers %v, KLayout's XOR of the flattened cells: %v", c.Name, c.Layers, oracle)
		}
		for _, l := range c.Layers {
			o, ok := oracle[l.String()]
			if !ok || math.Abs(l.Area-o[0]) > 1e-6 || float64(l.Polygons) != o[1] {
				t.Errorf("%s %s: area %g, %d polygons; KLayout's XOR: %v", c.Name, l, l.Area, l.Polygons, o)
			}
			if math.Abs(l.Added+l.Removed-l.Area) > 1e-6 || l.BBox == nil {
				t.Errorf("%s %s: added %g + removed %g != area %g, bbox %v", c.Name, l, l.Added, l.Removed, l.Area, l.BBox)
			}
		}
	}
	if len(res.Renamed) != 1 || res.Renamed[0].From != mmiOld || res.Renamed[0].To != mmiNew || res.Renamed[0].Factory != "mmi1x2" {
		t.Errorf("renamed %+v", res.Renamed)
	}
	rdb := readRDB(t, res.RDB)
	for _, c := range res.Cells {
		for _, l := range c.Layers {
			if got := rdb[c.Name+" "+l.String()]; got != l.Polygons {
				t.Errorf("report database: %s %s has %d items, want %d (one per region): %v", c.Name, l, got, l.Polygons, rdb)
			}
		}
	}
}

func names(cells []Cell) []string {
	var out []string
	for _, c := range cells {
		out = append(out, c.Name)
	}
	return out
}

// readRDB loads a report database with KLayout's own ReportDatabase and
// counts its items per "cell category".
func readRDB(t *testing.T, path string) map[string]int {
	t.Helper()
	out := testsupport.Batch(t, `
import json, pya
rdb = pya.ReportDatabase("x")
rdb.load(path)
res = {}
for item in rdb.each_item():
    k = rdb.cell_by_id(item.cell_id()).name() + " " + rdb.category_by_id(item.category_id()).name().split(" ")[0]
    res[k] = res.get(k, 0) + 1
print(json.dumps(res))
`, map[string]string{"path": path})
	var res map[string]int
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), &res); err != nil {
		t.Fatalf("report database %q: %v", out, err)
	}
	return res
}

// writeLib writes a small layout of boxes and texts.
func writeLib(t *testing.T, path string, cells ...*gds.Cell) string {
	t.Helper()
	lib := &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9, Cells: cells}
	if err := gds.WriteFile(path, lib); err != nil {
		t.Fatal(err)
	}
	return path
}

func box(layer int16, x0, y0, x1, y1 int32) gds.Shape {
	return gds.Shape{Kind: gds.Boundary, Layer: layer, XY: []gds.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}}}
}

func text(layer int16, s string, x, y int32) gds.Shape {
	return gds.Shape{Kind: gds.Text, Layer: layer, XY: []gds.Point{{X: x, Y: y}}, Attrs: &gds.Attrs{String: s}}
}

func TestCompareCases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := writeLib(t, filepath.Join(dir, "base.gds"),
		&gds.Cell{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 1000, 1000), text(66, "label", 0, 0)}})
	for _, tt := range []struct {
		name      string
		a, b      []*gds.Cell
		tolerance int
		same      bool
		identical bool
		check     func(t *testing.T, r *Result)
	}{
		{name: "the same file", same: true, identical: true},
		{name: "split into a child, same geometry", same: true, b: []*gds.Cell{
			{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 500, 1000), text(66, "label", 0, 0)}, Refs: []gds.Ref{{Name: "HALF"}}},
			{Name: "HALF", Shapes: []gds.Shape{box(1, 500, 0, 1000, 1000)}},
		}},
		{name: "a shape inside another added", same: true, b: []*gds.Cell{
			{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 1000, 1000), text(66, "label", 0, 0), box(1, 10, 10, 20, 20)}},
		}},
		{name: "a shape under a child both place removed", same: true, a: []*gds.Cell{
			{Name: "TOP", Shapes: []gds.Shape{box(1, 10, 10, 20, 20)}, Refs: []gds.Ref{{Name: "CHILD"}}},
			{Name: "CHILD", Shapes: []gds.Shape{box(1, 0, 0, 1000, 1000)}},
		}, b: []*gds.Cell{
			{Name: "TOP", Refs: []gds.Ref{{Name: "CHILD"}}},
			{Name: "CHILD", Shapes: []gds.Shape{box(1, 0, 0, 1000, 1000)}},
		}},
		{name: "an edge 1 dbu out", b: []*gds.Cell{
			{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 1001, 1000), text(66, "label", 0, 0)}},
		}, check: func(t *testing.T, r *Result) {
			if len(r.Cells) != 1 || len(r.Cells[0].Layers) != 1 || r.Cells[0].Layers[0].Area != 1e-3 || r.Cells[0].Layers[0].Added != 1e-3 {
				t.Errorf("cells %+v, want TOP 1/0 with 0.001 µm² added", r.Cells)
			}
		}},
		{name: "an edge 1 dbu out, tolerance 1", tolerance: 1, same: true, b: []*gds.Cell{
			{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 1001, 1000), text(66, "label", 0, 0)}},
		}},
		{name: "a label changed", b: []*gds.Cell{
			{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 1000, 1000), text(66, "other", 0, 0)}},
		}, check: func(t *testing.T, r *Result) {
			if len(r.Cells) != 1 || len(r.Cells[0].Layers) != 1 {
				t.Fatalf("cells %+v", r.Cells)
			}
			if l := r.Cells[0].Layers[0]; l.Layer != 66 || l.Area != 0 || l.LabelsAdded != 1 || l.LabelsRemoved != 1 || l.BBox != nil {
				t.Errorf("label change: %+v", l)
			}
		}},
		{name: "a new top cell", b: []*gds.Cell{
			{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 1000, 1000), text(66, "label", 0, 0)}},
			{Name: "NEW", Shapes: []gds.Shape{box(2, 0, 0, 10, 10)}},
		}, check: func(t *testing.T, r *Result) {
			if len(r.Cells) != 1 || r.Cells[0].Name != "NEW" || r.Cells[0].Status != "added" || r.Cells[0].Layers[0].Area != 1e-4 {
				t.Errorf("cells %+v, want NEW added", r.Cells)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := base, base
			if tt.a != nil {
				a = writeLib(t, filepath.Join(t.TempDir(), "a.gds"), tt.a...)
			}
			if tt.b != nil {
				b = writeLib(t, filepath.Join(t.TempDir(), "b.gds"), tt.b...)
			}
			r, err := Compare(context.Background(), a, b, Options{Tolerance: tt.tolerance})
			if err != nil {
				t.Fatal(err)
			}
			if r.Same != tt.same || r.Identical != tt.identical {
				t.Errorf("same %v identical %v, want %v %v: %+v", r.Same, r.Identical, tt.same, tt.identical, r.Cells)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestCompareOnlyWhatDiffers: with one leaf changed among many, KLayout is
// handed that leaf alone (and TOP, whose own shapes changed).
func TestCompareOnlyWhatDiffers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var ca, cb []*gds.Cell
	top := &gds.Cell{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 100, 100)}}
	topB := &gds.Cell{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 100, 100), box(1, 5000, 0, 5050, 10)}}
	for i := range 50 {
		name := "leaf" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		leaf := &gds.Cell{Name: name, Shapes: []gds.Shape{box(2, 0, 0, 100, 100)}}
		leafB := leaf
		if i == 7 {
			leafB = &gds.Cell{Name: name, Shapes: []gds.Shape{box(2, 0, 0, 100, 120)}}
		}
		ref := gds.Ref{Name: name, Origin: gds.Point{X: int32(i) * 1000}}
		top.Refs, topB.Refs = append(top.Refs, ref), append(topB.Refs, ref)
		ca, cb = append(ca, leaf), append(cb, leafB)
	}
	// TOP's new box is on layer 1, where no leaf has shapes: nothing hides it.
	a := writeLib(t, filepath.Join(dir, "a.gds"), append([]*gds.Cell{top}, ca...)...)
	b := writeLib(t, filepath.Join(dir, "b.gds"), append([]*gds.Cell{topB}, cb...)...)
	r, err := Compare(context.Background(), a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Compared != 2 || len(r.Cells) != 2 {
		t.Fatalf("compared %d, cells %+v; want TOP and the changed leaf", r.Compared, r.Cells)
	}
	if c := r.Cells[0]; c.Name != "TOP" || c.Layers[0].Area != 0.0005 {
		t.Errorf("TOP: %+v", c)
	}
	if c := r.Cells[1]; c.Name != "leafHa" || c.Layers[0].Area != 0.002 || *c.Layers[0].BBox != (Box{0, 0.1, 0.1, 0.12}) {
		t.Errorf("leaf: %+v %v", c, c.Layers[0].BBox)
	}
	libs, err := readBoth(context.Background(), a, b, gds.ReadOptions{HashOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := closure(libs[1], []string{"leafHa"}); len(got) != 1 {
		t.Errorf("closure of a leaf: %v", got)
	}
}

func TestCompareArtifacts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := buildPDK(t, dir, "a.gds", nil)
	b := buildPDK(t, dir, "b.gds", pdkEdits[1:2])
	art := filepath.Join(dir, "art")
	r, err := Compare(context.Background(), a, b, Options{Artifacts: art})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cells) != 1 || r.Cells[0].Name != "pad_S80" {
		t.Fatalf("cells %+v", r.Cells)
	}
	lib, err := gds.ReadFile(r.XORLayout)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"pad_S80", "pad_S80_old", "pad_S80_new", "pad_S80_xor"} {
		if lib.Cell(n) == nil {
			t.Errorf("xor layout has no cell %s: %v", n, lib.TopCells())
		}
	}
	png := r.PNGs["pad_S80"]
	b2, err := os.ReadFile(png)
	if err != nil || len(b2) < 1000 || string(b2[1:4]) != "PNG" {
		t.Errorf("PNG %s: %d bytes, %v", png, len(b2), err)
	}
}

func TestCompareErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeLib(t, filepath.Join(dir, "a.gds"), &gds.Cell{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 10, 10)}})
	b := writeLib(t, filepath.Join(dir, "b.gds"), &gds.Cell{Name: "TOP", Shapes: []gds.Shape{box(1, 0, 0, 10, 20)}})
	bad := filepath.Join(dir, "bad.gds")
	os.WriteFile(bad, []byte("not a layout"), 0o644)
	for _, tt := range []struct {
		name, a, b string
		o          Options
		want       string
	}{
		{"no klayout", a, b, Options{KLayout: filepath.Join(dir, "no-klayout")}, "apt-get install klayout"},
		{"not a layout", a, bad, Options{}, "bad.gds"},
		{"missing", a, filepath.Join(dir, "none.gds"), Options{}, "none.gds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(context.Background(), tt.a, tt.b, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}
