package gds

import (
	"testing"
)

// twoCells is a small library: LEAF with a few shapes, TOP placing it.
func twoCells() *Library {
	leaf := &Cell{Name: "LEAF", Shapes: []Shape{
		{Kind: Boundary, Layer: 1, XY: []Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
		{Kind: Boundary, Layer: 1, XY: []Point{{20, 0}, {30, 0}, {25, 8}, {20, 0}}, Props: []Property{{1, "a"}, {2, "b"}}},
		{Kind: Path, Layer: 2, XY: []Point{{0, 0}, {0, 100}}, Attrs: &Attrs{Width: 10, HasWidth: true}},
		{Kind: Text, Layer: 3, XY: []Point{{5, 5}}, Attrs: &Attrs{String: "hi", Strans: Strans{Angle: 90, HasAngle: true}}},
	}}
	top := &Cell{Name: "TOP", Refs: []Ref{
		{Name: "LEAF", Origin: Point{100, 0}},
		{Name: "LEAF", Origin: Point{0, 0}, Cols: 3, Rows: 2, ColEnd: Point{300, 0}, RowEnd: Point{0, 200}},
	}}
	return &Library{Name: "LIB", UserUnit: 1e-3, DBU: 1e-9, Cells: []*Cell{leaf, top}}
}

func TestHashInvariance(t *testing.T) {
	base := mustHashes(t, twoCells())
	tests := []struct {
		name   string
		change func(l *Library)
	}{
		{"shape order", func(l *Library) {
			s := l.Cells[0].Shapes
			s[0], s[3] = s[3], s[0]
		}},
		{"instance order", func(l *Library) {
			r := l.Cells[1].Refs
			r[0], r[1] = r[1], r[0]
		}},
		{"polygon start point", func(l *Library) {
			l.Cells[0].Shapes[0].XY = []Point{{10, 10}, {0, 10}, {0, 0}, {10, 0}, {10, 10}}
		}},
		{"polygon orientation", func(l *Library) {
			l.Cells[0].Shapes[0].XY = []Point{{0, 0}, {0, 10}, {10, 10}, {10, 0}}
		}},
		{"no closing point", func(l *Library) {
			l.Cells[0].Shapes[1].XY = []Point{{20, 0}, {30, 0}, {25, 8}}
		}},
		{"repeated point", func(l *Library) {
			l.Cells[0].Shapes[0].XY = []Point{{0, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}}
		}},
		{"property order", func(l *Library) {
			l.Cells[0].Shapes[1].Props = []Property{{2, "b"}, {1, "a"}}
		}},
		{"timestamps and library name", func(l *Library) {
			l.Name = "OTHER"
			l.Times[0] = 2024
			l.Cells[0].Times[3] = 12
		}},
		{"angle 360 is 0, mag 1 is none", func(l *Library) {
			l.Cells[1].Refs[0].Strans = Strans{Angle: 360, HasAngle: true, Mag: 1, HasMag: true}
		}},
		{"array axes swapped", func(l *Library) {
			r := &l.Cells[1].Refs[1]
			r.Cols, r.Rows, r.ColEnd, r.RowEnd = r.Rows, r.Cols, r.RowEnd, r.ColEnd
		}},
		{"metadata", func(l *Library) { l.Cells[0].Meta = map[string]string{"k": "v"} }},
	}
	for _, tt := range tests {
		l := twoCells()
		tt.change(l)
		if got := mustHashes(t, l); got["LEAF"] != base["LEAF"] || got["TOP"] != base["TOP"] {
			t.Errorf("%s changed a hash", tt.name)
		}
	}
}

func TestHashSensitivity(t *testing.T) {
	base := mustHashes(t, twoCells())
	tests := []struct {
		name        string
		change      func(l *Library)
		leafChanged bool // else only TOP's local hash changes
	}{
		{"moved vertex", func(l *Library) { l.Cells[0].Shapes[0].XY[2].X = 11 }, true},
		{"layer", func(l *Library) { l.Cells[0].Shapes[0].Layer = 5 }, true},
		{"datatype", func(l *Library) { l.Cells[0].Shapes[0].Type = 1 }, true},
		{"property value", func(l *Library) { l.Cells[0].Shapes[1].Props[0].Value = "z" }, true},
		{"path width", func(l *Library) { l.Cells[0].Shapes[2].Attrs.Width = 12 }, true},
		{"text string", func(l *Library) { l.Cells[0].Shapes[3].Attrs.String = "ho" }, true},
		{"text rotation", func(l *Library) { l.Cells[0].Shapes[3].Attrs.Strans.Angle = 180 }, true},
		{"extra shape", func(l *Library) {
			l.Cells[0].Shapes = append(l.Cells[0].Shapes, l.Cells[0].Shapes[0])
		}, true},
		{"array pitch", func(l *Library) { l.Cells[1].Refs[1].ColEnd.X = 330 }, false},
		{"array count", func(l *Library) { l.Cells[1].Refs[1].Cols = 4 }, false},
		{"instance origin", func(l *Library) { l.Cells[1].Refs[0].Origin.Y = 1 }, false},
		{"instance mirror", func(l *Library) { l.Cells[1].Refs[0].Strans.Flags = 0x8000 }, false},
		{"instance property", func(l *Library) { l.Cells[1].Refs[0].Props = []Property{{1, "x"}} }, false},
	}
	for _, tt := range tests {
		l := twoCells()
		tt.change(l)
		got := mustHashes(t, l)
		if tt.leafChanged {
			if got["LEAF"].Local == base["LEAF"].Local || got["LEAF"].Deep == base["LEAF"].Deep {
				t.Errorf("%s: LEAF's hashes unchanged", tt.name)
			}
			if got["TOP"].Local != base["TOP"].Local || got["TOP"].Deep == base["TOP"].Deep {
				t.Errorf("%s: TOP's local hash changed or deep hash unchanged", tt.name)
			}
		} else if got["LEAF"] != base["LEAF"] || got["TOP"].Local == base["TOP"].Local || got["TOP"].Deep == base["TOP"].Deep {
			t.Errorf("%s: want only TOP's hashes changed", tt.name)
		}
	}
}

func TestRenamedChildKeepsParentDeepHash(t *testing.T) {
	base := mustHashes(t, twoCells())
	l := twoCells()
	l.Cells[0].Name = "LEAF2"
	for i := range l.Cells[1].Refs {
		l.Cells[1].Refs[i].Name = "LEAF2"
	}
	got := mustHashes(t, l)
	if got["TOP"].Deep != base["TOP"].Deep || got["TOP"].Local == base["TOP"].Local {
		t.Error("renaming a child should change the parent's local hash only")
	}
}

func TestDiffSynthetic(t *testing.T) {
	a, b := twoCells(), twoCells()
	if d := Diff(a, b); !d.Equal {
		t.Fatalf("equal libraries differ: %+v", d)
	}
	b.DBU = 1e-9 * (1 + 1e-12)
	if d := Diff(a, b); !d.Equal {
		t.Error("dbu within tolerance counts as different")
	}
	b.DBU = 1e-8
	if d := Diff(a, b); d.Equal || !d.DBUChanged {
		t.Error("dbu change not seen")
	}
}

func TestPolygonTouchingItselfAtStart(t *testing.T) {
	pts := []Point{{0, 0}, {10, 1}, {10, 5}, {0, 0}, {5, -5}, {10, -3}}
	digest := func(p []Point) [16]byte {
		d := newDigest(0)
		polygonWords(&d, p)
		return d.sum()
	}
	want := digest(pts)
	for r := 1; r < len(pts); r++ {
		rot := append(append([]Point(nil), pts[r:]...), pts[:r]...)
		if digest(rot) != want {
			t.Errorf("rotation %d hashes differently", r)
		}
		rev := make([]Point, len(rot))
		for i := range rot {
			rev[i] = rot[len(rot)-1-i]
		}
		if digest(rev) != want {
			t.Errorf("reversed rotation %d hashes differently", r)
		}
	}
}

func TestRectangleFastPathMatchesGeneral(t *testing.T) {
	rects := [][]Point{
		{{0, 0}, {10, 0}, {10, 5}, {0, 5}},
		{{0, 0}, {0, 5}, {10, 5}, {10, 0}},
		{{10, 5}, {0, 5}, {0, 0}, {10, 0}},
		{{-3, 7}, {-3, -2}, {4, -2}, {4, 7}},
	}
	for _, r := range rects {
		fast := newDigest(0)
		if !rectangleWords(&fast, r) {
			t.Fatalf("%v not seen as a rectangle", r)
		}
		s := newDigest(0)
		polygonWords(&s, r)
		if fast.sum() != s.sum() {
			t.Errorf("%v: fast path differs from polygonWords", r)
		}
		g := newDigest(0)
		generalPolygonWords(&g, r)
		if fast.sum() != g.sum() {
			t.Errorf("%v: fast path differs from the general algorithm", r)
		}
	}
	var d digest128
	if rectangleWords(&d, []Point{{0, 0}, {10, 0}, {10, 5}, {1, 5}}) {
		t.Error("a trapezoid taken for a rectangle")
	}
}
