package gds

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stream builds GDSII bytes record by record for tests.
type stream struct{ b []byte }

func (s *stream) rec(t RecordType, data []byte) *stream {
	s.b = binary.BigEndian.AppendUint16(s.b, uint16(headerLen+len(data)))
	s.b = append(s.b, byte(t), byte(t.DataType()))
	s.b = append(s.b, data...)
	return s
}

func i16(vs ...int16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func i32(vs ...int32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return b
}

func str(s string) []byte {
	if len(s)%2 == 1 {
		s += "\x00"
	}
	return []byte(s)
}

func (s *stream) header() *stream {
	return s.rec(recHEADER, i16(600)).rec(recBGNLIB, make([]byte, 24)).rec(recLIBNAME, str("LIB")).
		rec(recUNITS, append(appendReal8(nil, 1e-3), appendReal8(nil, 1e-9)...))
}

func (s *stream) cell(name string) *stream {
	return s.rec(recBGNSTR, make([]byte, 24)).rec(recSTRNAME, str(name))
}

func (s *stream) box(layer int16) *stream {
	return s.rec(recBOUNDARY, nil).rec(recLAYER, i16(layer)).rec(recDATATYPE, i16(0)).
		rec(recXY, i32(0, 0, 10, 0, 10, 10, 0, 10, 0, 0)).rec(recENDEL, nil)
}

func (s *stream) sref(name string) *stream {
	return s.rec(recSREF, nil).rec(recSNAME, str(name)).rec(recXY, i32(5, 5)).rec(recENDEL, nil)
}

func (s *stream) end() *stream { return s.rec(recENDSTR, nil) }

func (s *stream) lib() *stream { return s.rec(recENDLIB, nil) }

func validStream() []byte {
	var s stream
	return s.header().cell("A").box(1).end().cell("TOP").sref("A").box(2).end().lib().b
}

func TestMalformed(t *testing.T) {
	valid := validStream()
	tests := []struct {
		name string
		data []byte
		want string // substring of the error
	}{
		{"empty", nil, "without ENDLIB"},
		{"truncated", valid[:len(valid)-30], "truncated"},
		{"truncated header", valid[:len(valid)-2], "truncated record header"},
		{"bad record length", func() []byte {
			b := bytes.Clone(valid)
			binary.BigEndian.PutUint16(b[6:], 2) // BGNLIB length 2
			return b
		}(), "offset 6: record BGNLIB (0x0102): bad record length 2"},
		{"odd XY", (&stream{}).header().cell("A").rec(recBOUNDARY, nil).rec(recLAYER, i16(1)).
			rec(recDATATYPE, i16(0)).rec(recXY, i32(0, 0, 1)).rec(recENDEL, nil).end().lib().b,
			"record XY (0x1003): odd number of coordinates"},
		{"cycle", (&stream{}).header().cell("A").sref("B").end().cell("B").sref("A").end().lib().b, "cycle"},
		{"self cycle", (&stream{}).header().cell("A").sref("A").end().lib().b, "cycle"},
		{"no ENDEL", (&stream{}).header().cell("A").rec(recBOUNDARY, nil).rec(recLAYER, i16(1)).end().lib().b, "no ENDEL"},
		{"no ENDSTR", (&stream{}).header().cell("A").box(1).cell("B").end().lib().b, "no ENDSTR"},
		{"no HEADER", (&stream{}).rec(recBGNLIB, make([]byte, 24)).lib().b, "does not start with HEADER"},
		{"SREF without SNAME", (&stream{}).header().cell("A").rec(recSREF, nil).rec(recXY, i32(0, 0)).rec(recENDEL, nil).end().lib().b, "SREF without SNAME"},
		{"AREF without COLROW", (&stream{}).header().cell("A").end().cell("B").rec(recAREF, nil).rec(recSNAME, str("A")).
			rec(recXY, i32(0, 0, 10, 0, 0, 10)).rec(recENDEL, nil).end().lib().b, "AREF without COLROW"},
		{"duplicate cell", (&stream{}).header().cell("A").end().cell("A").end().lib().b, "second cell named"},
		{"boundary without XY", (&stream{}).header().cell("A").rec(recBOUNDARY, nil).rec(recLAYER, i16(1)).rec(recENDEL, nil).end().lib().b, "without XY"},
		{"random bytes", func() []byte {
			r := rand.New(rand.NewPCG(3, 4))
			b := make([]byte, 4096)
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			return b
		}(), "gds: offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, bs := range []int{0, 16} { // default blocks and tiny ones
				_, err := ReadContext(t.Context(), bytes.NewReader(tt.data), ReadOptions{BlockSize: bs})
				if err == nil {
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q does not contain %q", err, tt.want)
				}
				var fe *FormatError
				if !errors.As(err, &fe) && !errors.Is(err, ErrNoLibrary) {
					t.Errorf("error %q is not a FormatError", err)
				}
			}
		})
	}
}

func TestUnknownRecordIsAWarning(t *testing.T) {
	var s stream
	s.header().cell("A").rec(RecordType(0x70), []byte{1, 2}).rec(recBOUNDARY, nil).rec(recLAYER, i16(1)).
		rec(recDATATYPE, i16(0)).rec(RecordType(0x71), nil).rec(recXY, i32(0, 0, 1, 0, 1, 1)).rec(recENDEL, nil).end().lib()
	lib, err := Read(bytes.NewReader(s.b))
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Warnings) != 2 || !strings.Contains(lib.Warnings[0].String(), "UNKNOWN(0x70)") {
		t.Errorf("warnings %v", lib.Warnings)
	}
	if lib.Cell("A").NumShapes() != 1 {
		t.Error("shape lost")
	}
}

func TestJoinedXYAndLongRecords(t *testing.T) {
	// A polygon of 6000 points: its XY record is 48004 bytes (length >= 0x8000),
	// and the same polygon split over three XY records must hash the same.
	var pts []int32
	for i := int32(0); i < 6000; i++ {
		pts = append(pts, i, i*i%1000)
	}
	one := (&stream{}).header().cell("A").rec(recBOUNDARY, nil).rec(recLAYER, i16(1)).rec(recDATATYPE, i16(0)).
		rec(recXY, i32(pts...)).rec(recENDEL, nil).end().lib().b
	three := (&stream{}).header().cell("A").rec(recBOUNDARY, nil).rec(recLAYER, i16(1)).rec(recDATATYPE, i16(0)).
		rec(recXY, i32(pts[:2000]...)).rec(recXY, i32(pts[2000:7000]...)).rec(recXY, i32(pts[7000:]...)).
		rec(recENDEL, nil).end().lib().b
	a, err := ReadContext(t.Context(), bytes.NewReader(one), ReadOptions{BlockSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read(bytes.NewReader(three))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(a.Cell("A").Shapes[0].XY); n != 6000 {
		t.Fatalf("%d points", n)
	}
	if mustHashes(t, a)["A"] != mustHashes(t, b)["A"] {
		t.Error("XY chunking changed the hash")
	}
}

func TestNULPaddingStripped(t *testing.T) {
	var s stream
	s.header().cell("ABC").rec(recTEXT, nil).rec(recLAYER, i16(1)).rec(recTEXTTYPE, i16(0)).
		rec(recXY, i32(0, 0)).rec(recSTRING, str("odd")).rec(recENDEL, nil).end().lib()
	lib, err := Read(bytes.NewReader(s.b))
	if err != nil {
		t.Fatal(err)
	}
	c := lib.Cell("ABC")
	if c == nil || c.Shapes[0].Attrs.String != "odd" {
		t.Errorf("names/strings keep NUL padding: %+v", lib.Cells[0])
	}
}

// FuzzRead reads arbitrary bytes; what reads must write, read again and give
// the same hashes and no difference (the round trip property).
func FuzzRead(f *testing.F) {
	f.Add(validStream())
	var s stream
	s.header().cell("A").rec(recPATH, nil).rec(recLAYER, i16(1)).rec(recDATATYPE, i16(0)).rec(recPATHTYPE, i16(4)).
		rec(recWIDTH, i32(10)).rec(recBGNEXTN, i32(2)).rec(recENDEXTN, i32(3)).rec(recXY, i32(0, 0, 10, 0)).
		rec(recPROPATTR, i16(1)).rec(recPROPVALUE, str("x")).rec(recENDEL, nil).
		rec(recTEXT, nil).rec(recLAYER, i16(2)).rec(recTEXTTYPE, i16(0)).rec(recSTRANS, i16(-32768)).
		rec(recMAG, appendReal8(nil, 2)).rec(recANGLE, appendReal8(nil, 90)).rec(recXY, i32(1, 1)).
		rec(recSTRING, str("t")).rec(recENDEL, nil).end().
		cell("B").rec(recAREF, nil).rec(recSNAME, str("A")).rec(recCOLROW, i16(2, 3)).
		rec(recXY, i32(0, 0, 20, 0, 0, 30)).rec(recENDEL, nil).
		rec(recBOX, nil).rec(recLAYER, i16(3)).rec(recBOXTYPE, i16(0)).rec(recXY, i32(0, 0, 1, 0, 1, 1, 0, 1, 0, 0)).rec(recENDEL, nil).
		rec(recNODE, nil).rec(recLAYER, i16(4)).rec(recNODETYPE, i16(0)).rec(recXY, i32(0, 0)).rec(recENDEL, nil).end().lib()
	f.Add(s.b)
	for _, fx := range ghostFixtures() {
		f.Add(fx.data)
	}
	// The small shared third-party files, where they are.
	shared, _ := filepath.Glob(filepath.Join("..", "..", "shared", "testdata", "gds", "*.gds"))
	for _, p := range shared {
		if b, err := os.ReadFile(p); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lib, err := ReadContext(t.Context(), bytes.NewReader(data), ReadOptions{BlockSize: 64})
		if err != nil {
			return
		}
		h1, err := lib.Hashes()
		if err != nil {
			t.Fatalf("read but cannot hash: %v", err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, lib); err != nil {
			return // e.g. a record too long to write back
		}
		back, err := Read(&buf)
		if err != nil {
			t.Fatalf("cannot read what was written: %v", err)
		}
		h2, err := back.Hashes()
		if err != nil {
			t.Fatal(err)
		}
		if len(h1) != len(h2) {
			t.Fatalf("%d cells, %d after round trip", len(h1), len(h2))
		}
		for k, v := range h1 {
			if h2[k] != v {
				t.Fatalf("cell %q: hash changed in the round trip", k)
			}
		}
		if d := Diff(lib, back); !d.Equal {
			t.Fatalf("the round trip differs: %+v", d)
		}
	})
}

func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := ReadContext(ctx, bytes.NewReader(validStream()), ReadOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
