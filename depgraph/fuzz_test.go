package depgraph

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzScan feeds arbitrary bytes to the scanner: it must never panic, and
// what it returns must hold together (spans in order and inside the file,
// imports inside the file).
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"import a\n", "from . import (b,\n c)\n", "def f():\n  return f'{x[\"y\"]:{w}}'\n",
		"@cell\ndef g(): pass\nclass C: pass\n", "x = '''\n", "f\"{\"\n", "if x: import y; from z import *\n",
		"async def h():\n    match x:\n        case 1: import q\n", "a = \\\n 1\n", "\xef\xbb\xbf# coding: latin-1\n\xe9 = 1\n",
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"tricky.py", "pep701.py"} {
		if src, err := os.ReadFile(filepath.Join("testdata", "syntax", name)); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fi, err := ScanSource("fuzz.py", "fuzz", src, nil)
		if err != nil {
			if fi == nil || fi.Err == "" {
				t.Fatalf("error %v without FileInfo.Err", err)
			}
			return
		}
		lines := 1
		for _, c := range src {
			if c == '\n' || c == '\r' {
				lines++
			}
		}
		prev := 0
		for _, d := range fi.Defs {
			if d.Start < prev || d.Start > d.Line || d.Line > d.EndLine || d.EndLine > lines || d.Name == "" {
				t.Fatalf("bad span %+v (previous end %d, %d lines)", d, prev, lines)
			}
			prev = d.EndLine
		}
		for _, im := range fi.Imports {
			if im.Line < 1 || im.Line > lines || (im.Module == "" && im.Level == 0) {
				t.Fatalf("bad import %+v", im)
			}
		}
		// A trailing comment changes no hash.
		more := append(append([]byte(nil), src...), "\n# comment\n"...)
		fi2, err := ScanSource("fuzz.py", "fuzz", more, nil)
		if err != nil {
			t.Fatalf("scans alone but not with a trailing comment: %v", err)
		}
		if fi2.TopHash != fi.TopHash || len(fi2.Defs) != len(fi.Defs) {
			t.Fatalf("a trailing comment changed the top-level hash or the defs")
		}
		for i := range fi.Defs {
			if fi.Defs[i].Hash != fi2.Defs[i].Hash {
				t.Fatalf("a trailing comment changed the hash of %s", fi.Defs[i].Name)
			}
		}
	})
}
