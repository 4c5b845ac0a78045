package gds

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// cellSpans returns each cell's records (BGNSTR to ENDSTR) of a stream by
// name, the way a reader walks it.
func cellSpans(t testing.TB, s []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	start, name := -1, ""
	for off := 0; off+4 <= len(s); {
		n := int(binary.BigEndian.Uint16(s[off:]))
		switch RecordType(s[off+2]) {
		case recBGNSTR:
			start = off
		case recSTRNAME:
			name = string(bytes.TrimRight(s[off+4:off+n], "\x00"))
		case recENDSTR:
			out[name] = s[start : off+n]
		}
		off += n
	}
	return out
}

func TestExtractCells(t *testing.T) {
	for _, path := range testsupport.SharedGDSFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lib, err := Read(bytes.NewReader(raw))
			if err != nil {
				t.Skipf("not readable here: %v", err)
			}
			// Every cell: the same layout, the same hashes.
			all, dbu, err := ExtractCells(raw, func(string) bool { return true })
			if err != nil || dbu != lib.DBU {
				t.Fatalf("all cells: %v, dbu %g want %g", err, dbu, lib.DBU)
			}
			back, err := Read(bytes.NewReader(all))
			if err != nil {
				t.Fatalf("read all cells back: %v", err)
			}
			if !maps.Equal(mustHashes(t, back), mustHashes(t, lib)) {
				t.Error("hashes differ after extracting every cell")
			}
			// Every other cell: those bytes exactly, references kept.
			var want []string
			for i, c := range lib.Cells {
				if i%2 == 0 {
					want = append(want, c.Name)
				}
			}
			part, _, err := ExtractCells(raw, func(n string) bool { return slices.Contains(want, n) })
			if err != nil {
				t.Fatal(err)
			}
			got, orig := cellSpans(t, part), cellSpans(t, raw)
			if len(got) != len(want) {
				t.Errorf("%d cells extracted, want %d", len(got), len(want))
			}
			for _, n := range want {
				if !bytes.Equal(got[n], orig[n]) {
					t.Errorf("cell %s not copied byte for byte", n)
				}
			}
			if _, ok := got[ContextCellName]; ok {
				t.Error("the context cell was copied")
			}
			// CutCells, the byte search, gives the same stream.
			var names []string
			for _, c := range lib.Cells {
				if slices.Contains(want, c.Name) {
					names = append(names, c.Name)
				}
			}
			cut, cdbu, ok := CutCells(raw, names)
			if !ok || cdbu != lib.DBU || !bytes.Equal(cut[:len(cut)-4], part[:len(part)-4]) {
				t.Errorf("CutCells (ok %v) differs from ExtractCells", ok)
			}
			if _, _, ok := CutCells(raw, []string{"no such cell"}); ok {
				t.Error("CutCells found a cell that is not there")
			}
		})
	}
}

func TestWriteCellsMatchesExtractCells(t *testing.T) {
	lib, err := Read(bytes.NewReader(validStream()))
	if err != nil {
		t.Fatal(err)
	}
	var full bytes.Buffer
	if err := Write(&full, lib); err != nil {
		t.Fatal(err)
	}
	names := []string{lib.Cells[len(lib.Cells)-1].Name}
	var w bytes.Buffer
	if err := WriteCells(&w, lib, names); err != nil {
		t.Fatal(err)
	}
	x, _, err := ExtractCells(full.Bytes(), func(n string) bool { return slices.Contains(names, n) })
	if err != nil || !bytes.Equal(w.Bytes(), x) {
		t.Errorf("WriteCells and ExtractCells differ (%v)", err)
	}
}

func TestExtractCellsErrors(t *testing.T) {
	valid := validStream()
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"half a header", valid[:3]},
		{"length past the end", append(append([]byte{}, valid[:len(valid)-4]...), 0x00, 0x40, 0x04, 0x00)},
		{"no ENDLIB", valid[:len(valid)-4]},
		{"zero length", []byte{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		_, _, err := ExtractCells(tt.in, func(string) bool { return true })
		var fe *FormatError
		if err == nil || (!errors.As(err, &fe) && !errors.Is(err, ErrNoLibrary)) {
			t.Errorf("%s: %v, want a FormatError or ErrNoLibrary", tt.name, err)
		}
	}
}

// FuzzExtractCells: any input gives a stream or an error, never a panic;
// what reads and extracts whole reads back with the same hashes.
func FuzzExtractCells(f *testing.F) {
	f.Add(validStream(), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mask uint8) {
		i := 0
		part, _, err := ExtractCells(data, func(string) bool { i++; return mask&(1<<(i%8)) != 0 })
		if err != nil {
			return
		}
		if len(part) > len(data) && !(len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
			t.Fatalf("extract grew the stream: %d > %d", len(part), len(data))
		}
		lib, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		all, _, err := ExtractCells(data, func(string) bool { return true })
		if err != nil {
			t.Fatalf("read but cannot extract: %v", err)
		}
		back, err := Read(bytes.NewReader(all))
		if err != nil {
			t.Fatalf("extracting every cell made a stream that does not read: %v", err)
		}
		// What CutCells finds is what ExtractCells walks to.
		var names []string
		for k, c := range lib.Cells {
			if mask&(1<<(k%8)) != 0 {
				names = append(names, c.Name)
			}
		}
		if cut, _, ok := CutCells(data, names); ok {
			walked, _, err := ExtractCells(data, func(n string) bool { return slices.Contains(names, n) })
			if err != nil || !maps.EqualFunc(cellSpans(t, cut), cellSpans(t, walked), bytes.Equal) {
				t.Fatalf("CutCells and ExtractCells cut different cells for %q (%v)", names, err)
			}
		}
		h1, err1 := lib.Hashes()
		h2, err2 := back.Hashes()
		if (err1 == nil) != (err2 == nil) || !maps.Equal(h1, h2) {
			t.Fatalf("hashes differ after extracting every cell")
		}
	})
}

// BenchmarkExtractCells cuts one cell out of a 40 MB stream (2,000 cells
// of 500 boxes), as an incremental push of a one-cell edit does: by walking
// every record (ExtractCells) and by searching (CutCells).
func BenchmarkExtractCells(b *testing.B) {
	lib := &Library{Name: "B", UserUnit: 1e-3, DBU: 1e-9}
	for i := range 2000 {
		c := &Cell{Name: "leaf_" + strconv.Itoa(i)}
		for k := range 500 {
			x := int32(k * 10)
			c.Shapes = append(c.Shapes, Shape{Kind: Boundary, Layer: 1, XY: []Point{{X: x, Y: 0}, {X: x + 5, Y: 0}, {X: x + 5, Y: 5}, {X: x, Y: 5}, {X: x, Y: 0}}})
		}
		lib.Cells = append(lib.Cells, c)
	}
	var buf bytes.Buffer
	if err := Write(&buf, lib); err != nil {
		b.Fatal(err)
	}
	stream := buf.Bytes()
	b.Run("walk", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			if _, _, err := ExtractCells(stream, func(n string) bool { return n == "leaf_1234" }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			if _, _, ok := CutCells(stream, []string{"leaf_1234"}); !ok {
				b.Fatal("not found")
			}
		}
	})
}
