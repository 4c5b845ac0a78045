package depgraph

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func dataProject(t *testing.T, opts Options) (string, *Graph) {
	t.Helper()
	if opts.Targets == nil {
		opts.Targets = []Target{{Name: "chip", Entries: []string{"chip.py"}, Output: "out/chip2.gds"}}
	}
	return project(t, map[string]string{
		"pdk/__init__.py":    "",
		"pdk/data/taper.csv": "0,1\n1,2\n",
		"pdk/gds/mmi.gds":    "not really a GDS\n",
		"pdk/top.pic.yml":    "instances: {}\n",
		"pdk/layers.lyp":     "<layer-properties/>\n",
		"build/chip.gds":     "the output\n",
		"out/chip2.gds":      "another output\n",
		"pdk/comp.py": `import os
from pathlib import Path

HERE = Path(__file__).parent
LAYOUT = HERE / "top.pic.yml"


def cell(f):
    return f


@cell
def taper_from_csv():
    return open(Path(__file__).parent / "data" / "taper.csv").read()


@cell
def mmi():
    return open(os.path.join(os.path.dirname(__file__), "gds", "mmi.gds")).read()


@cell
def from_yaml(path=LAYOUT):
    return open(path).read()


@cell
def later():
    return open(HERE / "data" / "later.csv").read()


@cell
def plain():
    return 1
`,
		"chip.py": "from pdk.comp import taper_from_csv, mmi, from_yaml, later, plain\n\nOUT = 'build/chip.gds'\nOUT2 = 'out/chip2.gds'\n\n\ndef chip():\n    return taper_from_csv(), mmi(), from_yaml(), plain()\n",
	}, opts)
}

// TestDataFiles checks that a file code names is an input of that code
// only, and follows it as it changes, appears and goes away; a fresh scan
// agrees with the graph after each step.
func TestDataFiles(t *testing.T) {
	dir, g := dataProject(t, Options{})
	steps := []struct {
		name      string
		do        func()
		path      string
		want, not []string
	}{
		{"csv", func() { write(t, dir, "pdk/data/taper.csv", "0,1\n1,3\n") }, "pdk/data/taper.csv", []string{"taper_from_csv"}, []string{"mmi", "from_yaml", "plain", "later"}},
		{"gds joined by os.path.join", func() { write(t, dir, "pdk/gds/mmi.gds", "still not\n") }, "pdk/gds/mmi.gds", []string{"mmi"}, []string{"taper_from_csv", "from_yaml"}},
		{"yaml through a module-level path", func() { write(t, dir, "pdk/top.pic.yml", "instances: {a: 1}\n") }, "pdk/top.pic.yml", []string{"from_yaml"}, []string{"mmi", "plain"}},
		{"same bytes again", func() { write(t, dir, "pdk/top.pic.yml", "instances: {a: 1}\n") }, "pdk/top.pic.yml", nil, []string{"from_yaml"}},
		{"a named file appears", func() { write(t, dir, "pdk/data/later.csv", "1\n") }, "pdk/data/later.csv", []string{"later"}, []string{"mmi", "plain"}},
		{"and changes", func() { write(t, dir, "pdk/data/later.csv", "2\n") }, "pdk/data/later.csv", []string{"later"}, []string{"mmi", "plain"}},
		{"and goes away", func() { os.Remove(filepath.Join(dir, "pdk/data/later.csv")) }, "pdk/data/later.csv", []string{"later"}, []string{"mmi", "plain"}},
		{"a file no code names", func() { write(t, dir, "pdk/notes.txt", "x\n") }, "pdk/notes.txt", nil, []string{"mmi", "plain", "later"}},
	}
	for _, s := range steps {
		s.do()
		inv := update(t, g, filepath.Join(dir, s.path))
		for _, f := range s.want {
			if !slices.Contains(inv.Factories, f) {
				t.Errorf("%s: %s not invalidated (%v)", s.name, f, inv.Factories)
			}
		}
		for _, f := range s.not {
			if slices.Contains(inv.Factories, f) {
				t.Errorf("%s: %s invalidated: %q", s.name, f, inv.Explain(f))
			}
		}
		if len(s.want) > 0 && s.want[0] != "later" && !slices.Contains(inv.Targets, "chip") { // chip does not call later
			t.Errorf("%s: target chip not reached (%v)", s.name, inv.Targets)
		}
		fresh, err := Scan(context.Background(), g.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := g.Nodes(), fresh.Nodes(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the graph differs from a fresh scan", s.name)
			diffNodes(t, got, want)
		}
	}
	if chain := strings.Join(update(t, g).Explain("x"), ""); chain != "" {
		t.Errorf("empty update explains %q", chain)
	}
	// A build's output and files under excluded directories are not inputs.
	for _, key := range []string{"build/chip.gds", "out/chip2.gds"} {
		if g.nodes[fileID(key)] != nil {
			t.Errorf("%s is a data file of the graph", key)
		}
	}
}

// TestIncludeGlobs checks that files an include glob matches are tracked
// even when no code names them, and then reach every target.
func TestIncludeGlobs(t *testing.T) {
	dir, g := dataProject(t, Options{Include: []string{"*.lyp", "**/*.pic.yml", "*.gds"}, Targets: []Target{{Name: "chip", Entries: []string{"chip.py"}, Output: "out/chip2.gds"}, {Name: "other", Entries: []string{"other.py"}}}})
	files, err := g.SourceFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pdk/layers.lyp", "pdk/top.pic.yml", "pdk/data/taper.csv", "pdk/gds/mmi.gds"} {
		if !slices.Contains(files, filepath.Join(dir, want)) {
			t.Errorf("SourceFiles lacks %s: %v", want, files)
		}
	}
	for _, not := range []string{"out/chip2.gds", "build/chip.gds"} { // the output; an excluded directory
		if slices.Contains(files, filepath.Join(dir, not)) {
			t.Errorf("SourceFiles has %s", not)
		}
	}
	write(t, dir, "pdk/layers.lyp", "<layer-properties><x/></layer-properties>\n")
	inv := update(t, g, filepath.Join(dir, "pdk/layers.lyp"))
	same(t, "targets", inv.Targets, []string{"chip", "other"})
	if chain := inv.Explain("other"); len(chain) != 2 || !strings.Contains(chain[0], "pdk/layers.lyp: data file changed") {
		t.Errorf("Explain(other) = %q", chain)
	}
	write(t, dir, "pdk/new.lyp", "<layer-properties/>\n")
	inv = update(t, g, filepath.Join(dir, "pdk/new.lyp"))
	same(t, "targets", inv.Targets, []string{"chip", "other"})
	same(t, "files", inv.Files, []string{"pdk/new.lyp"})
	if _, err := Scan(context.Background(), Options{Dir: dir, Include: []string{"[bad"}}); err == nil {
		t.Error("a bad include glob gives no error")
	}
}

// TestDataSnapshotRefresh checks that a snapshot keeps the data files'
// hashes, so Refresh finds one edited while nothing watched.
func TestDataSnapshotRefresh(t *testing.T) {
	dir, g := dataProject(t, Options{})
	snap := g.Export()
	if len(snap.Data) != 3 {
		t.Fatalf("snapshot data %+v", snap.Data)
	}
	g2, err := FromSnapshot(snap, g.opts)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "pdk/gds/mmi.gds", "edited while stopped\n")
	inv, err := g2.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	same(t, "files", inv.Files, []string{"pdk/gds/mmi.gds"})
	same(t, "factories", inv.Factories, []string{"mmi"})
}
