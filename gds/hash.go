package gds

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// CellHash is a cell's pair of canonical hashes, as lowercase hex SHA-256.
type CellHash struct {
	// Local covers the cell's own shapes and its instances by child name.
	Local string
	// Deep covers the cell's own shapes and its instances by the child's
	// Deep hash: it changes when anything below the cell changes.
	Deep string
}

// cellSummary is what hashing needs of a cell whose shapes were dropped.
type cellSummary struct {
	shapes  [32]byte
	entries []shapeEntry // sorted; only with ReadOptions.KeepDigests
	kept    bool         // entries were kept
}

// Tags that start each digest, so different kinds never collide.
const (
	tagShape    = 0x73686170 // "shap"
	tagInstance = 0x696e7374 // "inst"
)

// shapeEntry is one shape's group key and digest, for sorting.
type shapeEntry struct {
	layer, typ int16
	a, b       uint64 // the digest
}

func groupKey(e shapeEntry) uint32 {
	return uint32(uint16(e.layer)^0x8000)<<16 | uint32(uint16(e.typ)^0x8000)
}

func cmpShapeEntry(x, y shapeEntry) int {
	if kx, ky := groupKey(x), groupKey(y); kx != ky {
		if kx < ky {
			return -1
		}
		return 1
	}
	if x.a != y.a {
		if x.a < y.a {
			return -1
		}
		return 1
	}
	if x.b != y.b {
		if x.b < y.b {
			return -1
		}
		return 1
	}
	return 0
}

func shapeEntries(shapes []Shape, buf []shapeEntry) []shapeEntry {
	buf = buf[:0]
	for i := range shapes {
		s := &shapes[i]
		a, b := shapeDigest(s)
		buf = append(buf, shapeEntry{layer: s.Layer, typ: s.Type, a: a, b: b})
	}
	slices.SortFunc(buf, cmpShapeEntry)
	return buf
}

// shapesDigest is the SHA-256 of a cell's shapes as a sorted multiset grouped
// by (layer, type): per group its layer, type and count, then the sorted
// 16-byte digests of its shapes.
func shapesDigest(shapes []Shape, scratch *[]shapeEntry) [32]byte {
	var buf []shapeEntry
	if scratch != nil {
		buf = *scratch
	}
	es := shapeEntries(shapes, buf)
	if scratch != nil {
		*scratch = es
	}
	h := sha256.New()
	h.Write([]byte("lywatch/gds shapes v1\n"))
	var hdr [12]byte
	for i := 0; i < len(es); {
		j := i
		for j < len(es) && es[j].layer == es[i].layer && es[j].typ == es[i].typ {
			j++
		}
		binary.BigEndian.PutUint16(hdr[0:], uint16(es[i].layer))
		binary.BigEndian.PutUint16(hdr[2:], uint16(es[i].typ))
		binary.BigEndian.PutUint64(hdr[4:], uint64(j-i))
		h.Write(hdr[:])
		var d [16]byte
		for k := i; k < j; k++ {
			binary.BigEndian.PutUint64(d[:8], es[k].a)
			binary.BigEndian.PutUint64(d[8:], es[k].b)
			h.Write(d[:])
		}
		i = j
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// shapeDigest is the digest of one shape in canonical form.
func shapeDigest(s *Shape) (uint64, uint64) {
	d := newDigest(tagShape)
	d.word(uint64(s.Kind))
	var a Attrs
	if s.Attrs != nil {
		a = *s.Attrs
	}
	switch s.Kind {
	case Boundary, Box:
		polygonWords(&d, s.XY)
	case Path:
		ext := [2]int32{}
		if a.PathType == 4 {
			ext = [2]int32{a.BgnExtn, a.EndExtn}
		}
		d.word(uint64(uint16(a.PathType)))
		d.word(uint64(uint32(a.Width)))
		d.word(uint64(uint32(ext[0]))<<32 | uint64(uint32(ext[1])))
		pointWords(&d, s.XY)
	case Text:
		d.bytes(a.String)
		d.word(uint64(a.Presentation))
		d.word(uint64(uint16(a.PathType)))
		d.word(uint64(uint32(a.Width)))
		stransWords(&d, a.Strans)
		pointWords(&d, s.XY)
	default:
		pointWords(&d, s.XY)
	}
	d.word(uint64(a.ElFlags)<<32 | uint64(uint32(a.Plex)))
	propWords(&d, s.Props)
	return d.sum64()
}

func pointWords(d *digest128, pts []Point) {
	d.word(uint64(len(pts)))
	for _, p := range pts {
		d.point(p)
	}
}

// polygonWords adds a polygon in canonical form: consecutive duplicate
// points and the closing point dropped, counterclockwise, starting at the
// smallest point (x, then y; among equal smallest points the rotation whose
// sequence is smallest).
func polygonWords(d *digest128, pts []Point) {
	for len(pts) > 1 && pts[len(pts)-1] == pts[0] {
		pts = pts[:len(pts)-1]
	}
	n := len(pts)
	if n == 0 {
		d.word(0)
		return
	}
	if n == 4 && rectangleWords(d, pts) {
		return
	}
	generalPolygonWords(d, pts)
}

// generalPolygonWords is polygonWords for any polygon without its closing
// point.
func generalPolygonWords(d *digest128, pts []Point) {
	n := len(pts)
	// One pass: area (relative to the first point), distinct points, the
	// smallest point and whether it occurs more than once.
	x0, y0 := float64(pts[0].X), float64(pts[0].Y)
	var area float64
	uniq, start, ties := 0, 0, false
	prev := pts[n-1]
	for i, p := range pts {
		q := pts[0]
		if i+1 < n {
			q = pts[i+1]
		}
		area += (float64(p.X)-x0)*(float64(q.Y)-y0) - (float64(q.X)-x0)*(float64(p.Y)-y0)
		if p != prev || n == 1 {
			uniq++
			if i > 0 {
				if lessPoint(p, pts[start]) {
					start, ties = i, false
				} else if p == pts[start] {
					ties = true
				}
			}
		}
		prev = p
	}
	dir := 1
	if area < 0 {
		dir = -1
	}
	if pts[start] == pts[(start+n-1)%n] && n > 1 {
		// start is a repeat of its predecessor: step back to the first of the run.
		for k := 0; k < n && pts[start] == pts[(start+n-1)%n]; k++ {
			start = (start + n - 1) % n
		}
	}
	if ties {
		for i := 0; i < n; i++ {
			if pts[i] == pts[start] && i != start && pts[i] != pts[(i+n-1)%n] && lessRotation(pts, i, start, dir) {
				start = i
			}
		}
	}
	if area == 0 && n > 1 && lessRotation2(pts, start) {
		dir = -1
	}
	d.word(uint64(uniq))
	last := Point{}
	i := start
	for k := 0; k < n; k++ {
		if k == 0 || pts[i] != last {
			d.point(pts[i])
			last = pts[i]
		}
		i += dir
		if i == n {
			i = 0
		} else if i < 0 {
			i = n - 1
		}
	}
}

// rectangleWords adds an axis-parallel rectangle of four distinct corners in
// the canonical form polygonWords gives it (from the lower left corner,
// counterclockwise), faster; it reports false for any other polygon.
func rectangleWords(d *digest128, p []Point) bool {
	var r0, r1 bool // edges p0p1 horizontal, then vertical, ... or the reverse
	r0 = p[0].Y == p[1].Y && p[1].X == p[2].X && p[2].Y == p[3].Y && p[3].X == p[0].X
	r1 = p[0].X == p[1].X && p[1].Y == p[2].Y && p[2].X == p[3].X && p[3].Y == p[0].Y
	if !r0 && !r1 {
		return false
	}
	x0, x1 := min(p[0].X, p[2].X), max(p[0].X, p[2].X)
	y0, y1 := min(p[0].Y, p[2].Y), max(p[0].Y, p[2].Y)
	if x0 == x1 || y0 == y1 {
		return false
	}
	d.word(4)
	d.point(Point{x0, y0})
	d.point(Point{x1, y0})
	d.point(Point{x1, y1})
	d.point(Point{x0, y1})
	return true
}

func lessPoint(a, b Point) bool {
	if a.X != b.X {
		return a.X < b.X
	}
	return a.Y < b.Y
}

// lessRotation reports whether walking from i in direction dir gives a
// smaller sequence than walking from j.
func lessRotation(pts []Point, i, j, dir int) bool {
	n := len(pts)
	for k := 1; k < n; k++ {
		a, b := pts[((i+dir*k)%n+n)%n], pts[((j+dir*k)%n+n)%n]
		if a != b {
			return lessPoint(a, b)
		}
	}
	return false
}

// lessRotation2 reports whether, for a polygon of zero area, walking
// backwards from start gives a smaller sequence than walking forwards.
func lessRotation2(pts []Point, start int) bool {
	n := len(pts)
	for k := 1; k < n; k++ {
		f, b := pts[(start+k)%n], pts[(start-k+n*k)%n]
		if f != b {
			return lessPoint(b, f)
		}
	}
	return false
}

// normFloat rounds v to 1e-9 so that writers' last-bit differences vanish.
func normFloat(v float64) uint64 {
	r := math.Round(v*1e9) / 1e9
	if r == 0 {
		r = 0 // folds -0
	}
	return math.Float64bits(r)
}

func stransWords(d *digest128, s Strans) {
	d.word(uint64(s.Flags & 0x8006))
	d.word(normFloat(s.magnification()))
	a := s.normAngle()
	if math.Abs(a-360) < 1e-9 {
		a = 0
	}
	d.word(normFloat(a))
}

func propWords(d *digest128, props []Property) {
	d.word(uint64(len(props)))
	if len(props) == 0 {
		return
	}
	ps := slices.Clone(props)
	slices.SortFunc(ps, func(x, y Property) int {
		if x.Attr != y.Attr {
			return int(x.Attr) - int(y.Attr)
		}
		if x.Value < y.Value {
			return -1
		}
		if x.Value > y.Value {
			return 1
		}
		return 0
	})
	for _, p := range ps {
		d.word(uint64(uint16(p.Attr)))
		d.bytes(p.Value)
	}
}

// arrayParams returns an instance's array parameters in canonical form:
// (count, displacement) for each axis, the axis with count 1 having no
// displacement, the two axes in a fixed order; a 1x1 array is no array.
func arrayParams(r *Ref) (isArray bool, ax [2][3]int64) {
	if !r.IsArray() || (r.Cols == 1 && r.Rows == 1) {
		return false, ax
	}
	ax[0] = [3]int64{int64(r.Cols), int64(r.ColEnd.X) - int64(r.Origin.X), int64(r.ColEnd.Y) - int64(r.Origin.Y)}
	ax[1] = [3]int64{int64(r.Rows), int64(r.RowEnd.X) - int64(r.Origin.X), int64(r.RowEnd.Y) - int64(r.Origin.Y)}
	for i := range ax {
		if ax[i][0] == 1 {
			ax[i][1], ax[i][2] = 0, 0
		}
	}
	if slices.Compare(ax[1][:], ax[0][:]) < 0 {
		ax[0], ax[1] = ax[1], ax[0]
	}
	return true, ax
}

// instanceDigest is the digest of one instance; child is the child's name
// (local hash) or its deep hash (deep hash).
func instanceDigest(r *Ref, child string) [16]byte {
	d := newDigest(tagInstance)
	d.bytes(child)
	d.point(r.Origin)
	stransWords(&d, r.Strans)
	isArr, ax := arrayParams(r)
	if isArr {
		d.word(1)
		for _, a := range ax {
			for _, v := range a {
				d.word(uint64(v))
			}
		}
	} else {
		d.word(0)
	}
	d.word(uint64(r.ElFlags)<<32 | uint64(uint32(r.Plex)))
	propWords(&d, r.Props)
	return d.sum()
}

func combine(kind string, shapes [32]byte, inst [][16]byte) [32]byte {
	slices.SortFunc(inst, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	h.Write([]byte("lywatch/gds " + kind + " v1\n"))
	h.Write(shapes[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(inst)))
	h.Write(n[:])
	for i := range inst {
		h.Write(inst[i][:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// shapesDigests returns every cell's shapes digest, computed on all cores.
func (l *Library) shapesDigests() [][32]byte {
	out := make([][32]byte, len(l.Cells))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(l.Cells) {
					return
				}
				c := l.Cells[i]
				if c.summary != nil {
					out[i] = c.summary.shapes
				} else {
					out[i] = shapesDigest(c.Shapes, nil)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// Hashes returns every cell's local and deep hash by cell name. Shapes are
// hashed on all cores; deep hashes bottom-up. A ghost cell (Cell.Ghost)
// hashes by its name alone: both its hashes are the SHA-256 of
// "lywatch/gds ghost v1\n" and the name. It fails on a reference to a cell
// not in Cells (which the reader never gives: it adds ghost cells) or a
// cycle.
//
// Each call computes the hashes afresh (nothing is cached, since the
// library's cells may have been edited), so callers keep the result. After
// ReadOptions.HashOnly the shapes were hashed while reading and a call is
// cheap; after a full read it hashes every shape again.
func (l *Library) Hashes() (map[string]CellHash, error) {
	shapes := l.shapesDigests()
	idx := make(map[string]int, len(l.Cells))
	for i, c := range l.Cells {
		idx[c.Name] = i
	}
	order, err := l.bottomUp(idx)
	if err != nil {
		return nil, err
	}
	deep := make([][32]byte, len(l.Cells))
	out := make(map[string]CellHash, len(l.Cells))
	var loc, dp [][16]byte
	for _, i := range order {
		c := l.Cells[i]
		if c.emptyGhost() {
			deep[i] = ghostHash(c.Name)
			h := hex.EncodeToString(deep[i][:])
			out[c.Name] = CellHash{Local: h, Deep: h}
			continue
		}
		loc, dp = loc[:0], dp[:0]
		for k := range c.Refs {
			r := &c.Refs[k]
			loc = append(loc, instanceDigest(r, r.Name))
			ch := deep[idx[r.Name]]
			dp = append(dp, instanceDigest(r, string(ch[:])))
		}
		deep[i] = combine("deep", shapes[i], dp)
		lh := combine("local", shapes[i], loc)
		out[c.Name] = CellHash{Local: hex.EncodeToString(lh[:]), Deep: hex.EncodeToString(deep[i][:])}
	}
	return out, nil
}

// ghostHash is the local and deep hash of a ghost cell: it stands for a
// definition the file lacks, so it is made of the name alone, and differs
// from the hash of any defined cell (an empty one included), so that a
// parent's deep hash changes when the definition appears.
func ghostHash(name string) [32]byte {
	h := sha256.New()
	h.Write([]byte("lywatch/gds ghost v1\n"))
	h.Write([]byte(name))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// emptyGhost reports whether c is a ghost cell that nothing has been added
// to (KLayout's "real ghost cell"): it hashes by its name and is not
// written.
func (c *Cell) emptyGhost() bool {
	return c.Ghost && c.NumShapes() == 0 && len(c.Refs) == 0
}

// bottomUp returns the cells' indices with every child before its parents;
// it reports references to missing cells and cycles as FormatErrors naming
// the offending SREF/AREF.
func (l *Library) bottomUp(idx map[string]int) ([]int, error) {
	const (
		unseen = iota
		active
		done
	)
	state := make([]uint8, len(l.Cells))
	order := make([]int, 0, len(l.Cells))
	type frame struct{ cell, ref int }
	var stack []frame
	for root := range l.Cells {
		if state[root] != unseen {
			continue
		}
		stack = append(stack[:0], frame{root, 0})
		state[root] = active
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			c := l.Cells[f.cell]
			if f.ref == len(c.Refs) {
				state[f.cell] = done
				order = append(order, f.cell)
				stack = stack[:len(stack)-1]
				continue
			}
			r := &c.Refs[f.ref]
			f.ref++
			ci, ok := idx[r.Name]
			if !ok {
				return nil, refErr(r, fmt.Sprintf("cell %q places missing cell %q", c.Name, r.Name))
			}
			switch state[ci] {
			case active:
				return nil, refErr(r, fmt.Sprintf("cycle in the hierarchy: cell %q places %q, which places it back", c.Name, r.Name))
			case unseen:
				state[ci] = active
				stack = append(stack, frame{ci, 0})
			}
		}
	}
	return order, nil
}

func refErr(r *Ref, msg string) *FormatError {
	return &FormatError{Offset: r.offset, Record: refRecord(r), DataType: dtNone, HasRecord: true, Msg: msg}
}

// refRecord is the record type of r: SREF or AREF.
func refRecord(r *Ref) RecordType {
	if r.IsArray() {
		return recAREF
	}
	return recSREF
}

// summarize hashes the cell's shapes and drops them (ReadOptions.HashOnly).
func (c *Cell) summarize(scratch *[]shapeEntry, keep bool) {
	c.summary = &cellSummary{shapes: shapesDigest(c.Shapes, scratch)}
	if keep {
		c.summary.entries = slices.Clone(*scratch)
		c.summary.kept = true
	}
	c.numShapes = len(c.Shapes)
	c.Shapes = nil
}
