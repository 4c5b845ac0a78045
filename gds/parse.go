package gds

import (
	"encoding/binary"
	"io"
)

// record is one record of the stream: its type, data type, data (without
// header; trailing NUL padding of strings is stripped by the users) and the
// offset of its header in the stream.
type record struct {
	typ  RecordType
	dt   DataType
	data []byte
	off  int64
}

func (r record) errorf(format string, args ...any) *FormatError {
	return recErr(r.off, r.typ, r.dt, format, args...)
}

// recIter walks the records of a byte slice that holds whole records.
type recIter struct {
	buf  []byte
	pos  int
	base int64 // stream offset of buf[0]
}

func (it *recIter) next() (record, error) {
	if it.pos >= len(it.buf) {
		return record{}, io.EOF
	}
	off := it.base + int64(it.pos)
	rest := it.buf[it.pos:]
	if len(rest) < headerLen {
		return record{}, &FormatError{Offset: off, Msg: "truncated record header"}
	}
	n := int(binary.BigEndian.Uint16(rest))
	t, dt := RecordType(rest[2]), DataType(rest[3])
	if n < headerLen {
		return record{}, recErr(off, t, dt, "bad record length %d", n)
	}
	if n > len(rest) {
		return record{}, recErr(off, t, dt, "truncated: record length %d, %d bytes left", n, len(rest))
	}
	it.pos += n
	return record{typ: t, dt: dt, data: rest[headerLen:n], off: off}, nil
}

// parser turns the records of whole cells into Cells. One parser belongs to
// one goroutine; it interns reference names and allocates points from slabs.
type parser struct {
	warnings []Warning
	names    map[string]string
	slab     []Point
	keep     bool         // shapes are kept: never reuse the slab
	shapes   []Shape      // HashOnly: the current cell's shapes, reused
	entries  []shapeEntry // HashOnly: scratch for hashing
}

func newParser(keep bool) *parser {
	return &parser{names: make(map[string]string), keep: keep}
}

func (p *parser) intern(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	p.names[s] = s
	return s
}

func (p *parser) warn(r record, msg string) {
	p.warnings = append(p.warnings, Warning{Offset: r.off, Record: r.typ, Msg: msg})
}

// resetSlab lets the points of the cells parsed so far be overwritten; only
// for cells whose shapes were dropped.
func (p *parser) resetSlab() {
	p.slab = p.slab[:0]
	clear(p.shapes)
	p.shapes = p.shapes[:0]
}

func (p *parser) points(n int) []Point {
	if len(p.slab)+n > cap(p.slab) {
		size := 1 << 16
		if n > size {
			size = n
		}
		p.slab = make([]Point, 0, size)
	}
	s := p.slab[len(p.slab) : len(p.slab)+n : len(p.slab)+n]
	p.slab = p.slab[:len(p.slab)+n]
	return s
}

// parseCell parses a cell from the record after BGNSTR up to its ENDSTR.
func (p *parser) parseCell(it *recIter, bgn record) (*Cell, error) {
	c := &Cell{offset: bgn.off}
	if !p.keep {
		c.Shapes = p.shapes[:0]
	}
	for i := 0; i < 12 && 2*i+2 <= len(bgn.data); i++ {
		c.Times[i] = int16At(bgn.data, i)
	}
	named := false
	for {
		r, err := it.next()
		if err == io.EOF {
			return nil, bgn.errorf("cell %q has no ENDSTR", c.Name)
		}
		if err != nil {
			return nil, err
		}
		switch r.typ {
		case recSTRNAME:
			if named {
				return nil, r.errorf("second STRNAME in cell %q", c.Name)
			}
			c.Name, named = string(trimString(r.data)), true
		case recENDSTR:
			if !named {
				return nil, bgn.errorf("cell without STRNAME")
			}
			if !p.keep {
				p.shapes = c.Shapes
			}
			return c, nil
		case recBOUNDARY, recPATH, recTEXT, recNODE, recBOX:
			if err := p.parseShape(it, r, c); err != nil {
				return nil, err
			}
		case recSREF, recAREF:
			if err := p.parseRef(it, r, c); err != nil {
				return nil, err
			}
		case recBGNSTR, recENDLIB, recBGNLIB:
			return nil, r.errorf("inside cell %q, which has no ENDSTR", c.Name)
		case recSTRCLASS:
			// Cadence-internal; nothing to keep.
		default:
			p.warnUnexpected(r, "cell")
		}
	}
}

func (p *parser) warnUnexpected(r record, where string) {
	if r.typ.Known() {
		p.warn(r, "unexpected in "+where+"; skipped")
	} else {
		p.warn(r, "unknown record type; skipped")
	}
}

func kindOf(t RecordType) Kind {
	switch t {
	case recBOUNDARY:
		return Boundary
	case recPATH:
		return Path
	case recTEXT:
		return Text
	case recNODE:
		return Node
	}
	return Box
}

// element holds what any element's records give, before it becomes a Shape
// or a Ref.
type element struct {
	start   record
	layer   int16
	typ     int16
	xy      []byte // the XY data, several records joined
	xyRecs  int
	props   []Property
	attrs   Attrs
	hasAttr bool
	sname   []byte
	hasName bool
	colrow  [2]int16
	hasCR   bool
	strans  Strans
}

// parseElement reads the records of one element up to its ENDEL.
func (p *parser) parseElement(it *recIter, start record, e *element) error {
	e.start = start
	var xyFirst []byte // first XY record's data; joined copies only when split
	var propAttr int16
	havePropAttr := false
	for {
		r, err := it.next()
		if err == io.EOF {
			return start.errorf("element has no ENDEL")
		}
		if err != nil {
			return err
		}
		switch r.typ {
		case recENDEL:
			if e.xyRecs == 1 {
				e.xy = xyFirst
			}
			return nil
		case recXY:
			if len(r.data)%8 != 0 {
				if len(r.data)%4 == 0 {
					return r.errorf("odd number of coordinates")
				}
				return r.errorf("data length %d is not a multiple of 4", len(r.data))
			}
			switch e.xyRecs {
			case 0:
				xyFirst = r.data
			case 1:
				e.xy = append(append([]byte(nil), xyFirst...), r.data...)
			default:
				e.xy = append(e.xy, r.data...)
			}
			e.xyRecs++
		case recLAYER:
			v, err := int16Of(r)
			if err != nil {
				return err
			}
			e.layer = v
		case recDATATYPE, recTEXTTYPE, recNODETYPE, recBOXTYPE:
			v, err := int16Of(r)
			if err != nil {
				return err
			}
			e.typ = v
		case recWIDTH:
			v, err := int32Of(r)
			if err != nil {
				return err
			}
			e.attrs.Width, e.attrs.HasWidth, e.hasAttr = v, true, true
		case recPATHTYPE:
			v, err := int16Of(r)
			if err != nil {
				return err
			}
			e.attrs.PathType, e.attrs.HasPathType, e.hasAttr = v, true, true
		case recBGNEXTN:
			v, err := int32Of(r)
			if err != nil {
				return err
			}
			e.attrs.BgnExtn, e.attrs.HasBgnExtn, e.hasAttr = v, true, true
		case recENDEXTN:
			v, err := int32Of(r)
			if err != nil {
				return err
			}
			e.attrs.EndExtn, e.attrs.HasEndExtn, e.hasAttr = v, true, true
		case recPRESENTATION:
			v, err := int16Of(r)
			if err != nil {
				return err
			}
			e.attrs.Presentation, e.attrs.HasPresentation, e.hasAttr = uint16(v), true, true
		case recELFLAGS:
			v, err := int16Of(r)
			if err != nil {
				return err
			}
			e.attrs.ElFlags, e.attrs.HasElFlags, e.hasAttr = uint16(v), true, true
		case recPLEX:
			v, err := int32Of(r)
			if err != nil {
				return err
			}
			e.attrs.Plex, e.attrs.HasPlex, e.hasAttr = v, true, true
		case recSTRING:
			e.attrs.String, e.hasAttr = string(trimString(r.data)), true
		case recSNAME:
			e.sname, e.hasName = trimString(r.data), true
		case recCOLROW:
			if len(r.data) < 4 {
				return r.errorf("data length %d, want 4", len(r.data))
			}
			e.colrow = [2]int16{int16At(r.data, 0), int16At(r.data, 1)}
			e.hasCR = true
		case recSTRANS:
			v, err := int16Of(r)
			if err != nil {
				return err
			}
			e.strans.Flags = uint16(v)
		case recMAG:
			v, err := real8Of(r)
			if err != nil {
				return err
			}
			e.strans.Mag, e.strans.HasMag = v, true
		case recANGLE:
			v, err := real8Of(r)
			if err != nil {
				return err
			}
			e.strans.Angle, e.strans.HasAngle = v, true
		case recPROPATTR:
			v, err := int16Of(r)
			if err != nil {
				return err
			}
			propAttr, havePropAttr = v, true
		case recPROPVALUE:
			if !havePropAttr {
				return r.errorf("PROPVALUE without PROPATTR")
			}
			e.props = append(e.props, Property{Attr: propAttr, Value: string(trimString(r.data))})
			havePropAttr = false
		case recBOUNDARY, recPATH, recSREF, recAREF, recTEXT, recNODE, recBOX, recENDSTR, recBGNSTR, recENDLIB:
			return r.errorf("inside %s element at offset %d, which has no ENDEL", start.typ, start.off)
		default:
			p.warnUnexpected(r, start.typ.String()+" element")
		}
	}
}

func int16Of(r record) (int16, error) {
	if len(r.data) < 2 {
		return 0, r.errorf("data length %d, want 2", len(r.data))
	}
	return int16At(r.data, 0), nil
}

func int32Of(r record) (int32, error) {
	if len(r.data) < 4 {
		return 0, r.errorf("data length %d, want 4", len(r.data))
	}
	return int32At(r.data, 0), nil
}

func real8Of(r record) (float64, error) {
	if len(r.data) < 8 {
		return 0, r.errorf("data length %d, want 8", len(r.data))
	}
	return real8ToFloat(r.data), nil
}

func (p *parser) decodePoints(b []byte) []Point {
	n := len(b) / 8
	pts := p.points(n)
	for i := range pts {
		pts[i] = Point{int32(binary.BigEndian.Uint32(b[8*i:])), int32(binary.BigEndian.Uint32(b[8*i+4:]))}
	}
	return pts
}

// fastBoundary parses the common BOUNDARY element without options:
// LAYER, DATATYPE, one XY, ENDEL. It reports false (and consumes nothing)
// for anything else.
func (p *parser) fastBoundary(it *recIter, c *Cell) bool {
	b := it.buf[it.pos:]
	if len(b) < 12+4+4 ||
		binary.BigEndian.Uint32(b) != 0x00060d02 || binary.BigEndian.Uint32(b[6:]) != 0x00060e02 {
		return false
	}
	xy := b[12:]
	n := int(binary.BigEndian.Uint16(xy))
	if binary.BigEndian.Uint16(xy[2:]) != 0x1003 || n < 12 || (n-4)%8 != 0 || len(xy) < n+4 ||
		binary.BigEndian.Uint32(xy[n:]) != 0x00041100 {
		return false
	}
	c.Shapes = append(c.Shapes, Shape{Kind: Boundary, Layer: int16At(b[4:], 0), Type: int16At(b[10:], 0),
		XY: p.decodePoints(xy[4:n])})
	it.pos += 12 + n + 4
	return true
}

func (p *parser) parseShape(it *recIter, start record, c *Cell) error {
	if start.typ == recBOUNDARY && p.fastBoundary(it, c) {
		return nil
	}
	var e element
	if err := p.parseElement(it, start, &e); err != nil {
		return err
	}
	k := kindOf(start.typ)
	n := len(e.xy) / 8
	switch {
	case n == 0:
		return start.errorf("%s without XY", k)
	case k == Text && n != 1:
		return start.errorf("text with %d points, want 1", n)
	}
	s := Shape{Kind: k, Layer: e.layer, Type: e.typ, XY: p.decodePoints(e.xy), Props: e.props}
	if k == Text {
		e.attrs.Strans, e.hasAttr = e.strans, true
	}
	if e.hasAttr {
		a := e.attrs
		s.Attrs = &a
	}
	c.Shapes = append(c.Shapes, s)
	return nil
}

func (p *parser) parseRef(it *recIter, start record, c *Cell) error {
	var e element
	if err := p.parseElement(it, start, &e); err != nil {
		return err
	}
	if !e.hasName {
		return start.errorf("%s without SNAME", start.typ)
	}
	r := Ref{Name: p.intern(e.sname), Strans: e.strans, Props: e.props, offset: start.off,
		ElFlags: e.attrs.ElFlags, HasElFlags: e.attrs.HasElFlags, Plex: e.attrs.Plex, HasPlex: e.attrs.HasPlex}
	pts := len(e.xy) / 8
	pt := func(i int) Point {
		return Point{int32(binary.BigEndian.Uint32(e.xy[8*i:])), int32(binary.BigEndian.Uint32(e.xy[8*i+4:]))}
	}
	if start.typ == recSREF {
		if pts != 1 {
			return start.errorf("SREF with %d points, want 1", pts)
		}
		r.Origin = pt(0)
	} else {
		if pts != 3 {
			return start.errorf("AREF with %d points, want 3", pts)
		}
		if !e.hasCR {
			return start.errorf("AREF without COLROW")
		}
		if e.colrow[0] <= 0 || e.colrow[1] <= 0 {
			return start.errorf("AREF with %d columns and %d rows", e.colrow[0], e.colrow[1])
		}
		r.Cols, r.Rows = e.colrow[0], e.colrow[1]
		r.Origin, r.ColEnd, r.RowEnd = pt(0), pt(1), pt(2)
	}
	c.Refs = append(c.Refs, r)
	return nil
}
