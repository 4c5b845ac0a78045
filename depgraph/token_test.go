package depgraph

import (
	"errors"
	"strings"
	"testing"
)

func TestTokenizeErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unterminated", "x = 1\ny = 'abc\n", 2, "unterminated string"},
		{"unterminated triple", "x = 1\ny = \"\"\"abc\n\nz\n", 2, "unterminated triple-quoted"},
		{"unclosed bracket", "x = (1,\n 2\n", 1, "never closed"},
		{"unmatched", "x = 1)\n", 1, "unmatched"},
		{"mismatched", "x = [1)\n", 1, "does not match"},
		{"bad utf8", "x = 1\n# \xff\n", 2, "invalid UTF-8"},
		{"stray backslash", "x = 1 \\ 2\n", 1, "continuation"},
		{"invalid char", "x = 1\ny = $\n", 2, "invalid character"},
		{"null byte", "x = \x00\n", 1, "null"},
		{"fstring unterminated", "x = f'{a'\n", 1, ""},
		{"fstring newline", "x = f'abc\n'\n", 1, "unterminated"},
		{"fstring deep", "x = " + strings.Repeat("f'{", 300) + "\n", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ScanSource("f.py", "f", []byte(tt.src), nil)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a SyntaxError", err)
			}
			if se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) || !strings.HasPrefix(se.Error(), "f.py:") {
				t.Errorf("err = %v, want line %d containing %q", se, tt.line, tt.msg)
			}
		})
	}
}

// TestScanPEP701 checks f-strings that only Python 3.12 parses: nested
// quotes of the same kind, comments and line breaks in fields.
func TestScanPEP701(t *testing.T) {
	src := `x = f"{d["key"]} {f"{inner(1)}"} {'a' + "b"}"
y = f"{
    helper(x)  # a comment
}"
z = f"{x:{width}.{prec}f} {x!r} {x=} {a if b else c} {(lambda q: q)(1)} {d['}']}"
w = f"\N{BULLET} {x} \{y}"

def after(): return used_in_def
`
	fi, err := ScanSource("p.py", "p", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fi.Defs) != 1 || fi.Defs[0].Name != "after" || fi.Defs[0].Line != 8 {
		t.Fatalf("defs = %+v", fi.Defs)
	}
	refs := strings.Join(fi.TopRefs, " ")
	for _, want := range []string{"inner(", "helper(", "width", "prec", "d"} {
		if !strings.Contains(" "+refs+" ", " "+want+" ") {
			t.Errorf("top refs %q lack %q", refs, want)
		}
	}
}

func TestScanEncodings(t *testing.T) {
	latin1 := "# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\ndef f(): pass\n"
	fi, err := ScanSource("l.py", "l", []byte(latin1), nil)
	if err != nil || len(fi.Defs) != 1 {
		t.Fatalf("latin-1 with a cookie: %v %+v", err, fi)
	}
	bom := "\xef\xbb\xbfimport os\r\ndef g():\r\n    return os\r\n"
	fi, err = ScanSource("b.py", "b", []byte(bom), nil)
	if err != nil || len(fi.Defs) != 1 || fi.Defs[0].EndLine != 3 || len(fi.Imports) != 1 {
		t.Fatalf("BOM and CRLF: %v %+v", err, fi)
	}
}

func TestStringPrefix(t *testing.T) {
	tests := []struct {
		p          string
		ok, raw, f bool
	}{
		{"r", true, true, false}, {"Rb", true, true, false}, {"bR", true, true, false},
		{"f", true, false, true}, {"rF", true, true, true}, {"u", true, false, false},
		{"ur", false, false, false}, {"bf", false, false, false}, {"rr", false, false, false},
		{"x", false, false, false}, {"abc", false, false, false},
	}
	for _, tt := range tests {
		ok, raw, f := stringPrefix([]byte(tt.p))
		if ok != tt.ok || raw != tt.raw || f != tt.f {
			t.Errorf("stringPrefix(%q) = %v %v %v, want %v %v %v", tt.p, ok, raw, f, tt.ok, tt.raw, tt.f)
		}
	}
}
