package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// changesScript prints, as JSON, the box the renderer shows for the
// frames (the union of their top cells' boxes plus 4%, as render.py
// draws without --box) and, for each frame after the first, the boxes of
// what changed from the one before, in micrometres: each polygon of the
// XOR of the flattened top cells, layer by layer, and the origin and
// length of each text only one of them has (KLayout draws a text in a
// font of fixed size on screen, up and right of its origin).
const changesScript = `
import json
import pya

def read(path):
    ly = pya.Layout()
    ly.read(path)
    return ly, max(ly.top_cells(), key=lambda c: c.dbbox().area())

def texts(ly, top, li):
    out = set()
    it = top.begin_shapes_rec(li)
    while not it.at_end():
        if it.shape().is_text():
            t = it.shape().dtext.transformed(it.dtrans())
            out.add((t.string, round(t.x, 3), round(t.y, 3)))
        it.next()
    return out

frames = [read(p) for p in paths.split(",")]
union = pya.DBox()
for ly, top in frames:
    union += top.dbbox()
m = max(union.width(), union.height()) * 0.04
union = union.enlarged(m, m)
changes = []
for (la, ta), (lb, tb) in zip(frames, frames[1:]):
    boxes, strings = [], []
    keys = set()
    for ly in (la, lb):
        for li in ly.layer_indexes():
            keys.add((ly.get_info(li).layer, ly.get_info(li).datatype))
    for l, d in sorted(keys):
        ia, ib = la.find_layer(l, d), lb.find_layer(l, d)
        ra = pya.Region(ta.begin_shapes_rec(ia)) if ia is not None else pya.Region()
        rb = pya.Region(tb.begin_shapes_rec(ib)) if ib is not None else pya.Region()
        for p in (ra ^ rb).merged().each():
            b = p.bbox().to_dtype(lb.dbu)
            boxes.append([b.left, b.bottom, b.right, b.top])
        sa = texts(la, ta, ia) if ia is not None else set()
        sb = texts(lb, tb, ib) if ib is not None else set()
        for s, x, y in sa ^ sb:
            strings.append([x, y, len(s)])
    changes.append({"boxes": boxes, "texts": strings})
print(json.dumps({"union": [union.left, union.bottom, union.right, union.top], "changes": changes}))
`

// layoutChanges is changesScript's answer.
type layoutChanges struct {
	Union   [4]float64 `json:"union"`
	Changes []changed  `json:"changes"`
}

// changed is what changed from one frame to the next: boxes in
// micrometres, and texts as their origin and length.
type changed struct {
	Boxes [][4]float64 `json:"boxes"`
	Texts [][3]float64 `json:"texts"`
}

// frameChanges runs changesScript on the layouts.
func frameChanges(t *testing.T, layouts [][]byte) layoutChanges {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, b := range layouts {
		p := filepath.Join(dir, fmt.Sprintf("frame-%d.gds", i+1))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var c layoutChanges
	out := testsupport.Batch(t, changesScript, map[string]string{"paths": strings.Join(paths, ",")})
	if err := json.Unmarshal([]byte(out), &c); err != nil || len(c.Changes) != len(layouts)-1 {
		t.Fatalf("changes of the frames %q: %v", out, err)
	}
	return c
}

// changedMask marks the pixels of a w×h image of the box shown (KLayout
// fits it to the image, centred, keeping its aspect) that lie within
// margin pixels of what changed. A text of n characters is taken to be
// drawn in a box of n+1 by 2 glyphs of 8 pixels from its origin.
func changedMask(shown [4]float64, c changed, w, h, margin int) []bool {
	bw, bh := shown[2]-shown[0], shown[3]-shown[1]
	s := min(float64(w)/bw, float64(h)/bh)
	cx, cy := (shown[0]+shown[2])/2, (shown[1]+shown[3])/2
	px := func(x float64) int { return int(float64(w)/2 + (x-cx)*s) }
	py := func(y float64) int { return int(float64(h)/2 - (y-cy)*s) }
	mask := make([]bool, w*h)
	mark := func(x0, y0, x1, y1 int) {
		for y := max(y0-margin, 0); y <= min(y1+margin, h-1); y++ {
			for x := max(x0-margin, 0); x <= min(x1+margin, w-1); x++ {
				mask[y*w+x] = true
			}
		}
	}
	for _, b := range c.Boxes {
		mark(px(b[0]), py(b[3]), px(b[2]), py(b[1]))
	}
	const glyph = 8
	for _, t := range c.Texts {
		x, y := px(t[0]), py(t[1])
		mark(x, y-2*glyph, x+int(t[2]+1)*glyph, y+glyph)
	}
	return mask
}

// checkChangedWhere: between two frames of the GIF, the pixels that
// differ lie near what changed in the layout, and there are some.
func checkChangedWhere(t *testing.T, i int, a, b *image.Paletted, shown [4]float64, c changed) {
	t.Helper()
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	mask := changedMask(shown, c, w, h, 3)
	covered, near, far := 0, 0, 0
	for y := range h {
		for x := range w {
			if mask[y*w+x] {
				covered++
			}
			if a.Palette[a.Pix[y*a.Stride+x]] == b.Palette[b.Pix[y*b.Stride+x]] {
				continue
			}
			if mask[y*w+x] {
				near++
			} else {
				far++
			}
		}
	}
	t.Logf("frames %d and %d: %d pixels differ near the change (%d%% of the image), %d elsewhere", i, i+1, near, 100*covered/(w*h), far)
	if near == 0 || far*20 > near+far {
		t.Errorf("frames %d and %d: %d pixels differ near what changed, %d elsewhere; want nearly all near it", i, i+1, near, far)
	}
	if covered*2 > w*h {
		t.Errorf("frames %d and %d: what changed covers %d of %d pixels, so the check says little", i, i+1, covered, w*h)
	}
}

// checkReplayBoxView renders the last frame with KLayout's view zoomed
// into the chip: --box view draws what --box gives with the view's box
// from KLayout's status, and another picture than the frames' union.
func checkReplayBoxView(t *testing.T, p *replayProject) {
	zoomed(t, p)
	ctx := context.Background()
	if err := p.c.Zoom(ctx, 250, 450, 550, 650); err != nil { // the third MZI
		t.Fatal(err)
	}
	st, err := p.c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	render := func(box ...string) image.Image {
		t.Helper()
		dir := t.TempDir()
		args := append([]string{"replay", "--png", dir, "--klayout", p.gui.Addr, "--size", "160x100", "--from", "3"}, box...)
		code, stdout, errb := runCmd(t, args...)
		if code != exitOK {
			t.Fatalf("replay %v: %d\n%s\n%s", args, code, stdout, errb)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		if len(files) != 1 {
			t.Fatalf("replay %v wrote %v, want one PNG", args, files)
		}
		f, err := os.Open(files[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	view := render("--box", "view")
	given := render("--box", fmt.Sprintf("%g,%g,%g,%g", st.Box[0], st.Box[1], st.Box[2], st.Box[3]))
	union := render()
	n := 160 * 100
	t.Logf("--box view against --box %v: %d pixels differ; against the union: %d (of %d)", st.Box, imageDiff(view, given), imageDiff(view, union), n)
	if d := imageDiff(view, given); d*100 > n {
		t.Errorf("--box view and --box %v differ in %d of %d pixels", st.Box, d, n)
	}
	if d := imageDiff(view, union); d*10 < n {
		t.Errorf("--box view and the frames' union differ in only %d of %d pixels", d, n)
	}
	if colours(view) < 3 {
		t.Errorf("the view is drawn blank (%d colours)", colours(view))
	}
}

// imageDiff counts the pixels whose colours differ.
func imageDiff(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgbaOf(a.At(x, y)) != rgbaOf(b.At(x, y)) {
				n++
			}
		}
	}
	return n
}

func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			seen[rgbaOf(img.At(x, y))] = true
		}
	}
	return len(seen)
}

func rgbaOf(c interface{ RGBA() (r, g, b, a uint32) }) [4]uint32 {
	r, g, b, a := c.RGBA()
	return [4]uint32{r, g, b, a}
}

// distinct counts the colours a GIF frame uses.
func distinct(img *image.Paletted) int {
	seen := map[uint8]bool{}
	for _, i := range img.Pix {
		seen[i] = true
	}
	return len(seen)
}
