package gds

import (
	"bytes"
	"encoding/binary"
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
// than reading the layout; a gzip-compressed stream is decompressed first.
// Malformed input gives a *FormatError with the byte offset.
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
	out = make([]byte, 0, 4096)
	cellStart := -1 // offset of the BGNSTR of the cell being copied or skipped
	copying := false
	ended := false
	for off := 0; off < len(stream) && !ended; {
		if len(stream)-off < headerLen {
			return nil, 0, &FormatError{Offset: int64(off), Msg: "stream ends inside a record header"}
		}
		n := int(binary.BigEndian.Uint16(stream[off:]))
		t := RecordType(stream[off+2])
		if n < headerLen || off+n > len(stream) {
			return nil, 0, recErr(int64(off), t, DataType(stream[off+3]), "record length %d does not fit the stream", n)
		}
		rec := stream[off : off+n]
		switch {
		case t == recBGNSTR:
			if cellStart >= 0 {
				return nil, 0, recErr(int64(off), t, DataType(rec[3]), "BGNSTR inside a cell")
			}
			cellStart = off
		case t == recSTRNAME && cellStart >= 0 && !copying:
			name := string(bytes.TrimRight(rec[headerLen:], "\x00"))
			if name != ContextCellName && keep(name) {
				copying = true
				out = append(out, stream[cellStart:off+n]...)
			}
		case t == recENDSTR:
			if cellStart < 0 {
				return nil, 0, recErr(int64(off), t, DataType(rec[3]), "ENDSTR outside a cell")
			}
			if copying {
				out = append(out, rec...)
			}
			cellStart, copying = -1, false
		case cellStart >= 0:
			if copying {
				out = append(out, rec...)
			}
		default: // a library record
			if t == recUNITS && n == headerLen+16 {
				dbu = real8ToFloat(rec[headerLen+8:])
			}
			out = append(out, rec...)
			ended = t == recENDLIB
		}
		off += n
	}
	if !ended {
		return nil, 0, fmt.Errorf("%w: no ENDLIB", ErrNoLibrary)
	}
	return out, dbu, nil
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
