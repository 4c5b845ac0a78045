package depgraph

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestIncrementalRandomEdits makes hundreds of random edits to a small
// package (imports of every form, star and relative imports, a namespace
// package, factories, calls across modules, module aliases, partials and
// registries, __all__, strings naming functions, classes whose methods
// call each other, data files and YAML netlists naming factories, files
// appearing and going away) and checks after each that the incrementally
// updated graph equals a fresh scan (nodes, edges, cycles, footprints),
// that the file index equals one built from scratch, and that the relink
// set equals what a walk over every file finds.
func TestIncrementalRandomEdits(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { randomEdits(t, seed, 250) })
	}
}

func randomEdits(t *testing.T, seed uint64, edits int) {
	mods := []string{"a", "b", "c", "d", "e", "sub/f", "sub/g", "sub/__init__", "ns/h", "ns/deep/k", "ns2/only"}
	dataFiles := []string{"pkg/d.csv", "pkg/sub/e.csv", "pkg/net.pic.yml", "pkg/sub/other.yml"}
	dotted := func(m string) string {
		return "pkg." + strings.ReplaceAll(strings.TrimSuffix(m, "/__init__"), "/", ".")
	}
	names := []string{"x", "y", "z", "w"}
	rng := rand.New(rand.NewPCG(seed, 2))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	source := func(self string) string {
		var b strings.Builder
		b.WriteString("from functools import partial\nfrom pathlib import Path\nfrom pkg.cell import cell\n")
		for range rng.IntN(4) {
			m := pick(mods)
			n := pick(names)
			switch rng.IntN(8) {
			case 0:
				fmt.Fprintf(&b, "import %s\n", dotted(m))
			case 1:
				fmt.Fprintf(&b, "from %s import %s\n", dotted(m), n)
			case 2:
				fmt.Fprintf(&b, "from %s import *\n", dotted(m))
			case 3:
				fmt.Fprintf(&b, "from %s import %s as alias_%s\n", dotted(m), n, n)
			case 4:
				if strings.HasPrefix(self, "sub/") {
					fmt.Fprintf(&b, "from . import %s\n", []string{"f", "g"}[rng.IntN(2)])
				} else {
					fmt.Fprintf(&b, "from .sub import %s\n", n)
				}
			case 5:
				fmt.Fprintf(&b, "from pkg.ns import %s\n", []string{"h", "deep"}[rng.IntN(2)])
				b.WriteString("from pkg import ns2\n")
			case 6:
				fmt.Fprintf(&b, "import %s as mod_alias\n", dotted(m))
			default:
				fmt.Fprintf(&b, "from pkg.sub import *\n")
			}
		}
		if rng.IntN(3) == 0 {
			fmt.Fprintf(&b, "__all__ = [%q, %q]\n", pick(names), pick(names))
		}
		// Module-level bindings: aliases of modules and functions,
		// partials, registries, data paths.
		for range rng.IntN(4) {
			switch rng.IntN(6) {
			case 0:
				b.WriteString("from pkg import sub\nc = sub\n")
			case 1:
				fmt.Fprintf(&b, "rebound_%s = %s\n", pick(names), pick(names))
			case 2:
				fmt.Fprintf(&b, "p_%s = partial(%s, 1)\n", pick(names), pick(names))
			case 3:
				fmt.Fprintf(&b, "REG = {%q: %s, 'q': partial(%s)}\n", pick(names), pick(names), pick(names))
			case 4:
				fmt.Fprintf(&b, "DATA = Path(__file__).parent / %q\n", path.Base(pick(dataFiles)))
			default:
				fmt.Fprintf(&b, "REG = [%s]\nREG.append(%s)\n", pick(names), pick(names))
			}
		}
		if rng.IntN(2) == 0 {
			b.WriteString("\n\nclass K:\n    def __init__(self):\n        self.v = 1\n")
			for _, m := range []string{"m1", "m2", "m3"} {
				if rng.IntN(3) > 0 {
					fmt.Fprintf(&b, "\n    def %s(self):\n        return self.%s() + %d\n", m, pick([]string{"m1", "m2", "m3"}), rng.IntN(3))
				}
			}
		}
		for _, n := range names {
			if rng.IntN(2) == 0 {
				continue
			}
			if rng.IntN(2) == 0 {
				b.WriteString("\n@cell\n")
			}
			uses := []string{"h", "deep.k", "ns2.only", "c.f", "mod_alias.x"}
			if self == "sub/__init__" {
				uses = append(uses, "f", "g") // its submodules, unimported
			}
			use := pick(uses)
			fmt.Fprintf(&b, "def %s(t=rebound_%s):\n    return %s() + %s.%s() + %d", n, pick(names), pick(names), use, pick(names), rng.IntN(3))
			switch rng.IntN(6) {
			case 0:
				fmt.Fprintf(&b, " + get(%q)", pick(names))
			case 1:
				fmt.Fprintf(&b, " + K().%s()", pick([]string{"m1", "m2", "m3"}))
			case 2:
				fmt.Fprintf(&b, " + thing.%s()", pick([]string{"m1", "m2", "m3"}))
			case 3:
				fmt.Fprintf(&b, " + open(Path(__file__).parent / %q).read()", path.Base(pick(dataFiles)))
			case 4:
				b.WriteString(" + REG[0]() + p_x()")
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	files := map[string]string{"pkg/__init__.py": "", "pkg/cell.py": "def cell(f):\n    return f\n"}
	for _, m := range mods {
		files["pkg/"+m+".py"] = source(m)
	}
	dir, g := project(t, files, Options{Include: []string{"**/*.yml"}})
	for i := range edits {
		if rng.IntN(5) == 0 {
			// A data file: written (a YAML netlist naming factories), or
			// deleted.
			rel := pick(dataFiles)
			p := filepath.Join(dir, filepath.FromSlash(rel))
			if rng.IntN(4) == 0 {
				if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			} else {
				write(t, dir, rel, fmt.Sprintf("a: %s\nb: %s\n", pick(names), pick([]string{"m1", "K", "other"})))
			}
			update(t, g, p)
			compareFresh(t, g, i, rel)
			continue
		}
		m := pick(mods)
		rel := "pkg/" + m + ".py"
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if rng.IntN(6) == 0 {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		} else {
			write(t, dir, rel, source(m))
		}
		next := map[string]*FileInfo{}
		if fi, err := g.scanFile(p, new(tokenizer)); err == nil {
			next[rel] = fi
		} else {
			next[rel] = nil
		}
		if g.files[rel] != nil || next[rel] != nil {
			g.mu.Lock()
			got, want := g.relinkSet(next), relinkSetByWalk(g, next)
			g.mu.Unlock()
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("edit %d (%s): relink set %v, a walk over every file finds %v", i, rel, keys(got), keys(want))
			}
		}
		update(t, g, p)
		compareFresh(t, g, i, rel)
	}
}

// compareFresh checks that g equals a graph scanned from scratch: nodes
// and edges, cycles, footprints, the file index, the data files.
func compareFresh(t *testing.T, g *Graph, i int, rel string) {
	t.Helper()
	fresh, err := Scan(context.Background(), g.opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Nodes(), fresh.Nodes(); !reflect.DeepEqual(got, want) {
		t.Errorf("edit %d (%s): incremental graph differs from a fresh scan", i, rel)
		diffNodes(t, got, want)
		t.FailNow()
	}
	if !reflect.DeepEqual(g.Cycles(), fresh.Cycles()) {
		t.Fatalf("edit %d: cycles %v, fresh %v", i, g.Cycles(), fresh.Cycles())
	}
	if !reflect.DeepEqual(footprints(g), footprints(fresh)) {
		t.Fatalf("edit %d (%s): footprints differ from a fresh scan's", i, rel)
	}
	if got, want := g.Export().Data, fresh.Export().Data; !reflect.DeepEqual(got, want) {
		t.Fatalf("edit %d (%s): data files %+v, fresh %+v", i, rel, got, want)
	}
	if g.idx != nil {
		kept := g.idx
		g.idx = nil
		if built := g.index(); !reflect.DeepEqual(kept, built) {
			t.Fatalf("edit %d (%s): file index kept in step differs from one built from the files", i, rel)
		}
	}
}

// relinkSetByWalk is relinkSet with its import lookups done as a walk
// over every file (what the index replaces): the reference for the test
// above. The start, which looks at no import, is relinkSet's own.
func relinkSetByWalk(g *Graph, next map[string]*FileInfo) map[string]bool {
	relink, touched := g.directlyTouched(next)
	var files []*FileInfo
	for rel, fi := range g.files {
		if _, ok := next[rel]; !ok {
			files = append(files, fi)
		}
	}
	for _, fi := range next {
		if fi != nil {
			files = append(files, fi)
		}
	}
	names := func(fi *FileInfo) (all, stars map[string]bool) {
		all, stars = map[string]bool{}, map[string]bool{}
		for _, im := range fi.Imports {
			m := g.absModule(fi, im)
			all[m] = true
			switch {
			case !im.From():
				for p := m; p != ""; p = parentModule(p) {
					all[p] = true
				}
			case len(im.Names) == 1 && im.Names[0] == "*":
				stars[m] = true
			default:
				for _, n := range im.Names {
					all[m+"."+n] = true
				}
			}
		}
		return all, stars
	}
	for grew := true; grew; {
		grew = false
		for _, fi := range files {
			_, stars := names(fi)
			for m := range stars {
				if touched[m] && !touched[fi.Module] {
					touched[fi.Module], grew = true, true
				}
			}
		}
	}
	for _, fi := range files {
		all, _ := names(fi)
		for m := range all {
			if touched[m] {
				relink[fi.Path] = true
			}
		}
	}
	for path, mods := range g.reads {
		for _, m := range mods {
			if touched[m] {
				relink[path] = true
			}
		}
	}
	return relink
}

// footprints returns every file's footprint, sorted.
func footprints(g *Graph) map[string][]string {
	out := map[string][]string{}
	for p, mods := range g.reads {
		out[p] = append([]string(nil), mods...)
		sort.Strings(out[p])
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestIncrementalResolutionChanges covers, one by one, the edits after
// which a file resolves a name differently although no edge of it points
// into what changed; after each step the graph must equal a fresh scan.
func TestIncrementalResolutionChanges(t *testing.T) {
	type step struct{ file, src string } // src "" deletes the file
	cases := []struct {
		name  string
		start map[string]string
		steps []step
	}{{
		// chip's `straight` stops at pdk/__init__.py's import of a
		// module that does not exist yet: no edge into pdk/wg.py.
		name: "re-export chain reaches a new module",
		start: map[string]string{
			"pdk/__init__.py": "from pdk.wg import straight\n",
			"chip.py":         "from pdk import straight\n\ndef chip():\n    return straight()\n",
		},
		steps: []step{
			{"pdk/wg.py", "def straight():\n    return 1\n"},
			{"pdk/wg.py", ""},
		},
	}, {
		// `ns` is a namespace package only while a module lives in it.
		name: "namespace package appears and goes away",
		start: map[string]string{
			"pdk/__init__.py": "",
			"chip.py":         "from pdk import ns\n\ndef chip():\n    return ns.ring.ring()\n",
		},
		steps: []step{
			{"pdk/ns/ring.py", "def ring():\n    return 1\n"},
			{"pdk/ns/ring.py", ""},
		},
	}, {
		// A package's own code naming a submodule it never imports.
		name: "package resolves its new submodule",
		start: map[string]string{
			"pdk/__init__.py": "def top():\n    return wg.straight()\n",
		},
		steps: []step{
			{"pdk/wg.py", "def straight():\n    return 1\n"},
			{"pdk/wg.py", ""},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, g := project(t, tc.start, Options{})
			for i, s := range tc.steps {
				p := filepath.Join(dir, filepath.FromSlash(s.file))
				if s.src == "" {
					if err := os.Remove(p); err != nil {
						t.Fatal(err)
					}
				} else {
					write(t, dir, s.file, s.src)
				}
				update(t, g, p)
				fresh, err := Scan(context.Background(), g.opts)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := g.Nodes(), fresh.Nodes(); !reflect.DeepEqual(got, want) {
					t.Errorf("step %d (%s): incremental graph differs from a fresh scan", i, s.file)
					diffNodes(t, got, want)
				}
			}
		})
	}
}
