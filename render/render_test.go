package render

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/internal/testsupport"
)

// layouts writes three layouts: a box, then a second box beside it on
// another layer, then the first box moved (micrometres, DBU 1 nm).
func layouts(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	type box struct {
		layer          int16
		x1, y1, x2, y2 int32
	}
	frames := [][]box{
		{{1, 0, 0, 10, 10}},
		{{1, 0, 0, 10, 10}, {2, 20, 0, 30, 10}},
		{{1, 0, 20, 10, 30}, {2, 20, 0, 30, 10}},
	}
	var paths []string
	for i, boxes := range frames {
		c := &gds.Cell{Name: "TOP"}
		for _, b := range boxes {
			x1, y1, x2, y2 := b.x1*1000, b.y1*1000, b.x2*1000, b.y2*1000
			c.Shapes = append(c.Shapes, gds.Shape{Kind: gds.Boundary, Layer: b.layer,
				XY: []gds.Point{{X: x1, Y: y1}, {X: x1, Y: y2}, {X: x2, Y: y2}, {X: x2, Y: y1}, {X: x1, Y: y1}}})
		}
		p := filepath.Join(dir, fmt.Sprintf("%d.gds", i+1))
		if err := gds.WriteFile(p, &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{c}}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// differing counts the pixels two images differ in.
func differing(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgba(a.At(x, y)) != rgba(b.At(x, y)) {
				n++
			}
		}
	}
	return n
}

// colours counts an image's distinct colours.
func colours(img image.Image) int {
	seen := map[[3]uint8]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := rgba(img.At(x, y))
			seen[[3]uint8{c.R, c.G, c.B}] = true
		}
	}
	return len(seen)
}

func TestRenderAndGIF(t *testing.T) {
	testsupport.KLayout(t)
	ls := layouts(t)
	dir := t.TempDir()
	pngs, err := PNGs(context.Background(), ls, dir, Options{Width: 200, Height: 150})
	if err != nil {
		t.Fatal(err)
	}
	if len(pngs) != 3 {
		t.Fatalf("%d images", len(pngs))
	}
	var imgs []image.Image
	for _, p := range pngs {
		img, err := readPNG(p)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 200 || img.Bounds().Dy() != 150 {
			t.Errorf("%s is %v", p, img.Bounds())
		}
		if colours(img) < 2 {
			t.Errorf("%s is blank", p)
		}
		imgs = append(imgs, img)
	}
	for i := 1; i < len(imgs); i++ {
		if differing(imgs[i-1], imgs[i]) == 0 {
			t.Errorf("frames %d and %d are the same image, their layouts differ", i, i+1)
		}
	}
	var buf bytes.Buffer
	if err := GIF(&buf, pngs, 250*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 3 || g.Delay[0] != 25 || g.LoopCount != 0 {
		t.Errorf("gif: %d frames, delay %v, loop %d", len(g.Image), g.Delay, g.LoopCount)
	}
	// The same frame twice renders the same image: the union box and the
	// union layers are fixed for the whole animation.
	again, err := PNGs(context.Background(), []string{ls[1], ls[0], ls[1]}, t.TempDir(), Options{Width: 200, Height: 150})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := readPNG(again[0])
	c, _ := readPNG(again[2])
	if differing(a, c) != 0 {
		t.Error("the same layout rendered twice in one animation differs")
	}
}

func TestRenderOptions(t *testing.T) {
	testsupport.KLayout(t)
	ls := layouts(t)
	lyp := filepath.Join(t.TempDir(), "one.lyp")
	// Only layer 2 is visible: frame 1 (layer 1 only) is blank.
	if err := os.WriteFile(lyp, []byte(`<?xml version="1.0" encoding="utf-8"?>
<layer-properties><properties><frame-color>#0000ff</frame-color><fill-color>#0000ff</fill-color>
<dither-pattern>I0</dither-pattern><visible>true</visible><source>2/0@1</source></properties></layer-properties>
`), 0o644); err != nil {
		t.Fatal(err)
	}
	pngs, err := PNGs(context.Background(), ls[:2], t.TempDir(), Options{Width: 100, Height: 100, LayerProps: lyp, Box: &[4]float64{-5, -5, 35, 35}})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := readPNG(pngs[0])
	second, _ := readPNG(pngs[1])
	if colours(first) > 2 || colours(second) < 2 {
		t.Errorf("with layer 2 alone: %d and %d colours", colours(first), colours(second))
	}
	if _, err := PNGs(context.Background(), ls[:1], t.TempDir(), Options{Cell: "NOPE"}); err == nil || !strings.Contains(err.Error(), "no cell 'NOPE'") {
		t.Errorf("a missing cell: %v", err)
	}
	if _, err := PNGs(context.Background(), ls[:1], t.TempDir(), Options{KLayout: "no-such-klayout"}); err == nil || !strings.Contains(err.Error(), "apt-get install klayout") {
		t.Errorf("no KLayout: %v", err)
	}
}

func TestParseBoxAndSize(t *testing.T) {
	boxes := []struct {
		in   string
		want *[4]float64
	}{
		{"0,0,10,20", &[4]float64{0, 0, 10, 20}},
		{"10, 20, -1.5, 0", &[4]float64{-1.5, 0, 10, 20}},
		{"0,0,10", nil}, {"0,0,0,10", nil}, {"a,0,1,1", nil}, {"0,0,1,NaN", nil}, {"1e3x,0,1,1", nil},
	}
	for _, b := range boxes {
		got, err := ParseBox(b.in)
		if (b.want == nil) != (err != nil) || b.want != nil && *got != *b.want {
			t.Errorf("ParseBox(%q) = %v, %v; want %v", b.in, got, err, b.want)
		}
	}
	sizes := []struct {
		in   string
		w, h int
	}{{"800x600", 800, 600}, {"64X48", 64, 48}, {"800", 0, 0}, {"8x600", 0, 0}, {"800x600x2", 0, 0}, {"axb", 0, 0}}
	for _, s := range sizes {
		w, h, err := ParseSize(s.in)
		if w != s.w || h != s.h || (s.w == 0) != (err != nil) {
			t.Errorf("ParseSize(%q) = %d, %d, %v", s.in, w, h, err)
		}
	}
}
