package ipc

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	tests := []struct {
		in    string
		max   int
		lines []string
		err   error
	}{
		{"a\nb\r\nc", 10, []string{"a", "b", "c"}, io.EOF},
		{"", 10, nil, io.EOF},
		{"0123456789\n", 10, []string{"0123456789"}, io.EOF},
		{"0123456789a\n", 10, nil, ErrLineTooLong},
		{strings.Repeat("x", 5000) + "\n", 4096, nil, ErrLineTooLong},
		{strings.Repeat("x", 5000) + "\n", 6000, []string{strings.Repeat("x", 5000)}, io.EOF},
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(strings.NewReader(tt.in), 16)
		var got []string
		var err error
		for {
			var b []byte
			b, err = ReadLine(br, tt.max)
			if err != nil {
				break
			}
			got = append(got, string(b))
		}
		if !errors.Is(err, tt.err) || strings.Join(got, "|") != strings.Join(tt.lines, "|") {
			t.Errorf("ReadLine(%.20q, %d): %q, %v; want %q, %v", tt.in, tt.max, got, err, tt.lines, tt.err)
		}
	}
}

func TestParseTextReply(t *testing.T) {
	tests := []struct {
		in  string
		ok  bool
		val string
		bad bool
	}{
		{"ACK /a.gds\r\n", true, "/a.gds", false},
		{"ACK", true, "", false},
		{"ERR Traceback (most recent call last)", false, "Traceback (most recent call last)", false},
		{"ack x", false, "", true},
		{"", false, "", true},
	}
	for _, tt := range tests {
		r, err := ParseTextReply(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && (r.OK != tt.ok || r.Value != tt.val)) {
			t.Errorf("ParseTextReply(%q) = %+v, %v", tt.in, r, err)
		}
	}
}

func TestQuoteTextArg(t *testing.T) {
	for in, want := range map[string]string{"/a.gds": "/a.gds", "/a b.gds": `"/a b.gds"`, `a"b`: `"a\"b"`, "": `""`} {
		if got := QuoteTextArg(in); got != want {
			t.Errorf("QuoteTextArg(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte(`{"id": 1, "ok": true, "result": {"type": "reload"}}`))
	f.Add([]byte(`{"id": null, "ok": false, "error": "x"}`))
	f.Add([]byte(`{"ok": true}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReply(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedReply) {
				t.Fatalf("error not ErrMalformedReply: %v", err)
			}
			return
		}
		if !r.OK && r.Error == "" {
			t.Fatal("accepted a reply that is neither ok nor an error")
		}
	})
}

func FuzzParseTextReply(f *testing.F) {
	f.Add("ACK pong")
	f.Add("ERR boom\r\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseTextReply(s)
		if err == nil && !strings.HasPrefix(s, "ACK") && !strings.HasPrefix(s, "ERR") {
			t.Fatalf("accepted %q as %+v", s, r)
		}
	})
}

func FuzzReadLine(f *testing.F) {
	f.Add([]byte("a\nbb\r\nccc"), 2)
	f.Add([]byte("\n\n\r\n"), 0)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		br := bufio.NewReaderSize(strings.NewReader(string(b)), 16)
		total := 0
		for {
			line, err := ReadLine(br, max)
			if err != nil {
				break
			}
			if len(line) > max {
				t.Fatalf("line of %d bytes > max %d", len(line), max)
			}
			total += len(line)
		}
		if total > len(b) {
			t.Fatalf("read %d bytes from %d", total, len(b))
		}
	})
}

func FuzzParseKliveReply(f *testing.F) {
	f.Add(`{"version": "1", "type": "reload"}`)
	f.Add(`{"version": 1}`)
	f.Fuzz(func(t *testing.T, s string) {
		ParseKliveReply(strings.NewReader(s))
	})
}
