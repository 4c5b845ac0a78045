package depgraph

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func scanFixture(t *testing.T, path string) *FileInfo {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := ScanSource(path, "pkg.tricky", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestScanTricky(t *testing.T) {
	fi := scanFixture(t, "testdata/syntax/tricky.py")
	var names []string
	for _, d := range fi.Defs {
		names = append(names, d.Name)
	}
	want := []string{"factory", "coro", "Klass", "one_liner", "Empty", "last"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("defs %v, want %v", names, want)
	}
	facts := map[string]bool{}
	for _, d := range fi.Defs {
		facts[d.Name] = d.Factory
	}
	if !facts["factory"] || !facts["last"] || facts["coro"] {
		t.Errorf("factories: %v", facts)
	}
	f := fi.Defs[0]
	if !reflect.DeepEqual(f.Decorators, []string{"decorator", "cell"}) || f.Start != 35 || f.Line != 39 || f.EndLine != 46 {
		t.Errorf("factory: %+v", f)
	}
	var local []string
	for _, im := range fi.Imports {
		if im.InDef != "" {
			local = append(local, im.InDef+":"+im.Module)
		}
	}
	if !reflect.DeepEqual(local, []string{"factory:inner_mod", "factory:inner", "coro:case_mod"}) {
		t.Errorf("imports inside defs: %v", local)
	}
	if !strings.Contains(strings.Join(f.Refs, " "), "thing(") {
		t.Errorf("factory refs %v lack the call in the nested f-string", f.Refs)
	}
	if strings.Contains(strings.Join(fi.TopRefs, " "), "factory(") {
		t.Errorf("top refs %v include the __main__ block", fi.TopRefs)
	}
	if !strings.Contains(strings.Join(fi.MainRefs, " "), "factory(") {
		t.Errorf("main refs %v lack factory(", fi.MainRefs)
	}
}

// TestHashes checks what changes a definition's hash: tokens and
// indentation structure, not comments, blank lines or line breaks.
func TestHashes(t *testing.T) {
	base := "X = 1\n\ndef f(a):\n    if a:\n        return 1\n    return 2\n\ndef g():\n    return X\n"
	tests := []struct {
		name, src      string
		fSame, topSame bool
	}{
		{"comment", "X = 1  # one\n\n# c\ndef f(a):\n    # hi\n    if a:\n        return 1\n\n\n    return 2\n\ndef g():\n    return X\n", true, true},
		{"reindent", "X = 1\n\ndef f(a):\n  if a:\n      return 1\n  return 2\n\ndef g():\n    return X\n", true, true},
		{"brackets", "X = 1\n\ndef f(\n        a):\n    if a:\n        return 1\n    return 2\n\ndef g():\n    return X\n", true, true},
		{"dedent", "X = 1\n\ndef f(a):\n    if a:\n        return 1\n        return 2\n\ndef g():\n    return X\n", false, true},
		{"docstring", "X = 1\n\ndef f(a):\n    \"doc\"\n    if a:\n        return 1\n    return 2\n\ndef g():\n    return X\n", false, true},
		{"constant", "X = 2\n\ndef f(a):\n    if a:\n        return 1\n    return 2\n\ndef g():\n    return X\n", true, false},
	}
	b, _ := ScanSource("m.py", "m", []byte(base), nil)
	for _, tt := range tests {
		n, err := ScanSource("m.py", "m", []byte(tt.src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Defs[0].Hash == b.Defs[0].Hash; got != tt.fSame {
			t.Errorf("%s: f hash same = %v, want %v", tt.name, got, tt.fSame)
		}
		if got := n.TopHash == b.TopHash; got != tt.topSame {
			t.Errorf("%s: top hash same = %v, want %v", tt.name, got, tt.topSame)
		}
		if n.Defs[1].Hash != b.Defs[1].Hash {
			t.Errorf("%s: g's hash changed", tt.name)
		}
	}
}

// TestScratchReuse checks that a tokenizer reused across files (as Scan
// does) gives the same results as a fresh one, errors included.
func TestScratchReuse(t *testing.T) {
	var srcs [][]byte
	for _, name := range []string{"tricky.py", "pep701.py"} {
		b, err := os.ReadFile("testdata/syntax/" + name)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, b)
	}
	srcs = append(srcs, []byte("x = (\n"), []byte("# coding: latin-1\n\xe9 = 1\ndef f(): pass\n"), []byte("def g(): return f'{a}'\n"))
	scratch := new(tokenizer)
	for round := 0; round < 2; round++ {
		for i, src := range srcs {
			want, werr := ScanSource("f.py", "f", src, nil)
			got, gerr := scanSource("f.py", "f", src, nil, scratch)
			if !reflect.DeepEqual(got, want) || (werr == nil) != (gerr == nil) {
				t.Errorf("round %d, source %d: reused scratch gives %+v, %v; fresh %+v, %v", round, i, got, gerr, want, werr)
			}
		}
	}
}
