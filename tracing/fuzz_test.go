package tracing

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name, record string
		wantErr      string // "" accepts
	}{
		{"000003.json", `{"seq": 3, "file": "000003.gds", "size": 12, "time": 1700000000.25, "label": "ring", "cell": "TOP"}`, ""},
		{"000003.json", `{"seq": 3, "file": "000003.gds.gz", "size": 0, "time": 0}`, ""},
		{"000003.json", `{"seq": 4, "file": "000003.gds", "size": 12, "time": 1}`, "seq does not match"},
		{"000003.json", `{"seq": 3, "file": "../x.gds", "size": 12, "time": 1}`, "not a layout of the folder"},
		{"000003.json", `{"seq": 3, "file": "/etc/passwd", "size": 12, "time": 1}`, "not a layout of the folder"},
		{"000003.json", `{"seq": 3, "file": "000003.gds", "time": 1}`, "no size"},
		{"000003.json", `{"seq": 3, "file": "000003.gds", "size": -1, "time": 1}`, "no size"},
		{"000003.json", `{"seq": 3, "file": "000003.gds", "size": 1}`, "no time"},
		{"000003.json", `{"seq": 3, "file": "000003.gds", "size": 1, "time": 1e300}`, "no time"},
		{"000003.json", `{"seq": 3, "file": "000003.gds", "size": 1, "time": 1`, "unexpected EOF"},
		{"abc.json", `{}`, "the name is not"},
		{"000000.json", `{}`, "the name is not"},
		{"+00003.json", `{"seq": 3}`, "the name is not"},
		{"000003.json", strings.Repeat(" ", maxRecord+1), "more than a record holds"},
	}
	for _, tt := range tests {
		f, err := ParseRecord("chip", "/trace/chip", tt.name, []byte(tt.record))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s %s: %v", tt.name, tt.record, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrRecord)):
			t.Errorf("%s %.60s: error %v, want %q", tt.name, tt.record, err, tt.wantErr)
		case err == nil && (f.Seq != 3 || filepath.Dir(f.Path) != "/trace/chip" || f.Target != "chip"):
			t.Errorf("%s: %+v", tt.name, f)
		}
	}
	f, _ := ParseRecord("chip", "/t", "000003.json", []byte(`{"seq": 3, "file": "000003.gds", "size": 12, "time": 1700000000.25, "label": "ring", "cell": "TOP"}`))
	if f.Label != "ring" || f.Cell != "TOP" || f.Size != 12 || f.Time.UnixMilli() != 1700000000250 {
		t.Errorf("fields: %+v", f)
	}
}

// FuzzParseRecord: any record either parses into a frame whose layout is
// in the folder, with a bounded label, or is an ErrRecord; never a panic.
func FuzzParseRecord(f *testing.F) {
	f.Add("000001.json", []byte(`{"seq": 1, "file": "000001.gds", "size": 12, "time": 1700000000.25, "label": "ring", "cell": "TOP"}`))
	f.Add("000002.json", []byte(`{"seq": 2, "file": "000002.gds.gz", "size": 0, "time": 0}`))
	f.Add("000001.json", []byte(`{"seq": 1, "file": "../../x.gds", "size": 1, "time": 1}`))
	f.Add(".state", []byte(`{"next": 3, "kept": 2, "bytes": 100, "dropped": 1}`))
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		parseState(b)
		fr, err := ParseRecord("t", "/dir", name, b)
		if err != nil {
			if !errors.Is(err, ErrRecord) {
				t.Fatalf("error %v is not an ErrRecord", err)
			}
			return
		}
		if filepath.Dir(fr.Path) != "/dir" || fr.Seq <= 0 || fr.Size < 0 {
			t.Fatalf("accepted %+v", fr)
		}
		if len(fr.Label) > maxLabel+len("…") || !utf8.ValidString(fr.Label) || !utf8.ValidString(fr.Cell) {
			t.Fatalf("label %q", fr.Label)
		}
	})
}
