package gds

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// ExtractCells returns a GDSII stream with the library records of stream
// (header, library name, units and the others) and only the cells keep
// accepts, each copied byte for byte from stream. References to the cells
// it leaves out stay: a reader that merges by name (KLayout reading into an
// open layout with LoadLayoutOptions.OverwriteCell) takes them for the
// cells it already has. KLayout's context cell is left out. It also returns
// the database unit in metres (the second value of UNITS).
//
// It walks the records without parsing the elements, so it costs far less
// than reading the layout (about 35 ms for 155 MB: it touches each
// record's header only); a gzip-compressed stream is decompressed first. Malformed input gives a *FormatError with
// the byte offset.
func ExtractCells(stream []byte, keep func(name string) bool) (out []byte, dbu float64, err error) {
	if len(stream) >= 2 && stream[0] == 0x1f && stream[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(stream))
		if err != nil {
			return nil, 0, fmt.Errorf("gds: gzip: %w", err)
		}
		if stream, err = io.ReadAll(zr); err != nil {
			return nil, 0, fmt.Errorf("gds: gzip: %w", err)
		}
	}
	seg := scanCells(stream, 0, len(stream), keep)
	if seg.err != nil {
		return nil, 0, seg.err
	}
	if !seg.ended {
		return nil, 0, fmt.Errorf("%w: no ENDLIB", ErrNoLibrary)
	}
	return seg.out, seg.dbu, nil
}

// segment is what a walk over part of a stream found.
type segment struct {
	out   []byte
	dbu   float64
	ended bool // ENDLIB seen
	stop  int  // where the walk stopped: a record boundary at or past its limit
	err   error
}

// scanCells walks the records from off, a record boundary, until a record
// boundary at or past limit (or ENDLIB), copying the library records and the
// cells keep accepts.
func scanCells(stream []byte, off, limit int, keep func(string) bool) (seg segment) {
	seg.out = make([]byte, 0, 4096)
	for off < limit && !seg.ended {
		n, t, err := recordAt(stream, off)
		if err != nil {
			seg.err = err
			return seg
		}
		if t != recBGNSTR { // a library record
			if t == recENDSTR || t == recSTRNAME {
				seg.err = recErr(int64(off), t, DataType(stream[off+3]), "outside a cell")
				return seg
			}
			if t == recUNITS && n == headerLen+16 {
				seg.dbu = real8ToFloat(stream[off+headerLen+8 : off+n])
			}
			seg.out = append(seg.out, stream[off:off+n]...)
			seg.ended = t == recENDLIB
			off += n
			continue
		}
		end, name, err := cellEnd(stream, off)
		if err != nil {
			seg.err = err
			return seg
		}
		if name != ContextCellName && keep(name) {
			seg.out = append(seg.out, stream[off:end]...)
		}
		off = end
	}
	seg.stop = off
	return seg
}

// recordAt returns the length and type of the record at off.
func recordAt(s []byte, off int) (int, RecordType, error) {
	if len(s)-off < headerLen {
		return 0, 0, &FormatError{Offset: int64(off), Msg: "stream ends inside a record header"}
	}
	n := int(s[off])<<8 | int(s[off+1])
	t := RecordType(s[off+2])
	if n < headerLen || off+n > len(s) {
		return 0, 0, recErr(int64(off), t, DataType(s[off+3]), "record length %d does not fit the stream", n)
	}
	return n, t, nil
}

// cellEnd walks the cell whose BGNSTR is at off and returns the offset
// just past its ENDSTR and its name. The walk over the elements is the hot
// loop: a record's length and type, nothing else.
func cellEnd(s []byte, off int) (end int, name string, err error) {
	off += int(s[off])<<8 | int(s[off+1]) // BGNSTR
	for {
		if len(s)-off < headerLen {
			return 0, "", &FormatError{Offset: int64(off), Msg: "stream ends inside a cell"}
		}
		n := int(s[off])<<8 | int(s[off+1])
		t := RecordType(s[off+2])
		if n < headerLen || off+n > len(s) {
			return 0, "", recErr(int64(off), t, DataType(s[off+3]), "record length %d does not fit the stream", n)
		}
		switch t {
		case recSTRNAME:
			if name == "" {
				name = string(bytes.TrimRight(s[off+headerLen:off+n], "\x00"))
			}
		case recENDSTR:
			return off + n, name, nil
		case recBGNSTR, recENDLIB:
			return 0, "", recErr(int64(off), t, DataType(s[off+3]), "inside a cell")
		}
		off += n
	}
}

// WriteCells writes lib with only the cells named in names (in lib's
// order), keeping their references to the cells left out, and without the
// context cell: the partial layout ExtractCells makes from a stream, from a
// library in memory instead.
func WriteCells(w io.Writer, lib *Library, names []string) error {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	part := *lib
	part.Cells, part.Context, part.index = nil, nil, nil
	for _, c := range lib.Cells {
		if want[c.Name] {
			part.Cells = append(part.Cells, c)
		}
	}
	return Write(w, &part)
}

// bgnstrRecord is how every BGNSTR record starts: length 28, type BGNSTR,
// data type 2-byte integer.
var bgnstrRecord = []byte{0x00, 0x1c, byte(recBGNSTR), byte(dtInt16)}

// CutCells is ExtractCells for a stream that was read already (so it is
// well formed) and a few cells named: instead of walking every record it
// finds the start of each cell with a byte search (BGNSTR followed by
// STRNAME) and walks only the cells named, which is several times faster on
// a large layout. ok is false when a name is not found exactly once, or the
// stream is compressed or not as expected: then use ExtractCells, which
// also says what is wrong with a malformed stream.
func CutCells(stream []byte, names []string) (out []byte, dbu float64, ok bool) {
	if len(stream) < 2 || (stream[0] == 0x1f && stream[1] == 0x8b) {
		return nil, 0, false
	}
	want := make(map[string]int, len(names))
	for _, n := range names {
		if n == ContextCellName {
			return nil, 0, false
		}
		want[n] = -1
	}
	// The library records before the first cell.
	off := 0
	for {
		n, t, err := recordAt(stream, off)
		if err != nil || t == recENDLIB {
			return nil, 0, false
		}
		if t == recBGNSTR {
			break
		}
		if t == recUNITS && n == headerLen+16 {
			dbu = real8ToFloat(stream[off+headerLen+8 : off+n])
		}
		off += n
	}
	out = append(make([]byte, 0, 4096), stream[:off]...)
	type span struct{ start, end int }
	var spans []span
	for pos := off; pos < len(stream); {
		i := bytes.Index(stream[pos:], bgnstrRecord)
		if i < 0 {
			break
		}
		c := pos + i
		pos = c + 1
		h := c + 28 // the STRNAME header, if this is a cell's start
		if h+headerLen > len(stream) || stream[h+2] != byte(recSTRNAME) || stream[h+3] != byte(dtString) {
			continue
		}
		n := int(stream[h])<<8 | int(stream[h+1])
		if n < headerLen || h+n > len(stream) {
			continue
		}
		name := string(bytes.TrimRight(stream[h+headerLen:h+n], "\x00"))
		seen, wanted := want[name]
		if !wanted {
			continue
		}
		if seen >= 0 {
			return nil, 0, false // twice: a cell's data looked like a cell start
		}
		end, _, err := cellEnd(stream, c)
		if err != nil {
			return nil, 0, false
		}
		want[name] = c
		spans = append(spans, span{c, end})
		pos = end
	}
	for _, at := range want {
		if at < 0 {
			return nil, 0, false
		}
	}
	for _, s := range spans {
		out = append(out, stream[s.start:s.end]...)
	}
	return append(out, 0x00, 0x04, byte(recENDLIB), 0x00), dbu, true
}
