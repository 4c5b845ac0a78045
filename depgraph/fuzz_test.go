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
		"_cell = partial(gf.cell)\n@_cell\ndef f(t=terminator): return gf.c.taper('bend_euler')\n",
		"class C(B):\n    X = 1\n    @property\n    def m(self):\n        return self.n().o\n    def n(self): pass\n",
		"c = components\n__all__ = ['a']\nREG = {'a': partial(f)}\nREG['b'] = g\nx, (y, z) = 1, (2, 3)\nf = lambda q=1: q\n",
		"def f():\n    return open(Path(__file__).parent / 'data' / 'x.csv')\n",
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
			inner := d.Line
			for _, m := range d.Methods {
				if d.Kind != "class" || m.Start <= inner || m.Start > m.Line || m.Line > m.EndLine || m.EndLine > d.EndLine || m.Name == "" {
					t.Fatalf("bad method %+v of %s lines %d-%d (previous end %d)", m, d.Name, d.Line, d.EndLine, inner)
				}
				inner = m.EndLine
			}
			if d.Factory != (d.Maker != "") {
				t.Fatalf("factory %v with maker %q", d.Factory, d.Maker)
			}
		}
		for _, b := range fi.Bindings {
			if b.Line < 1 || b.Line > lines || b.Name == "" {
				t.Fatalf("bad binding %+v", b)
			}
			for _, r := range b.Refs {
				if r == "" {
					t.Fatalf("binding %s has an empty reference", b.Name)
				}
			}
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
			if fi.Defs[i].Hash != fi2.Defs[i].Hash || fi.Defs[i].BodyHash != fi2.Defs[i].BodyHash || len(fi.Defs[i].Methods) != len(fi2.Defs[i].Methods) {
				t.Fatalf("a trailing comment changed the hash of %s", fi.Defs[i].Name)
			}
			for j, m := range fi.Defs[i].Methods {
				if m.Hash != fi2.Defs[i].Methods[j].Hash {
					t.Fatalf("a trailing comment changed the hash of %s.%s", fi.Defs[i].Name, m.Name)
				}
			}
		}
	})
}

// FuzzSitePackages feeds arbitrary .pth files, editable finders and
// dist-info records to the site-packages reader: it must never panic, and
// every root it reports must be an existing directory outside the project.
func FuzzSitePackages(f *testing.F) {
	f.Add([]byte("/nonexistent\nimport __editable___x_finder; __editable___x_finder.install()\n"), []byte("MAPPING = {'x': '/nonexistent/x'}\n"), []byte("x/__init__.py,,\n"))
	f.Add([]byte("import _editable_impl_x\n# comment\n\n.\n"), []byte("F.map_module('x', '.')\nMAPPING: dict[str, str] = {'a': 'b', 'c': '..'}\n"), []byte("a.py,,\n../../bin/x,,\nb/c.so,,\n"))
	f.Fuzz(func(t *testing.T, pth, finder, record []byte) {
		dir := t.TempDir()
		site := filepath.Join(dir, "site")
		proj := filepath.Join(dir, "proj")
		for _, d := range []string{site, proj, filepath.Join(site, "x-1.0.dist-info")} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(site, "a.pth"), pth, 0o644)
		os.WriteFile(filepath.Join(site, "__editable___x_finder.py"), finder, 0o644)
		os.WriteFile(filepath.Join(site, "_editable_impl_x.py"), finder, 0o644)
		os.WriteFile(filepath.Join(site, "x-1.0.dist-info", "RECORD"), record, 0o644)
		for _, r := range editableRoots([]string{site}, proj) {
			st, err := os.Stat(r.dir)
			if err != nil || !st.IsDir() || within(proj, r.dir) || within(r.dir, proj) {
				t.Fatalf("root %+v: %v", r, err)
			}
		}
		for mod, p := range readDists([]string{site}) {
			if mod == "" || p.Name != "x" || p.Version != "1.0" {
				t.Fatalf("dist %q: %+v", mod, p)
			}
		}
	})
}
