package gds

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

func script(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// variants are the files testdata/make_pairs.py writes besides base.gds.
var variants = []string{"reordered", "moved_vertex", "renamed", "added_layer", "pitch", "property"}

// makePairs runs testdata/make_pairs.py in KLayout and returns the folder.
func makePairs(t *testing.T) string {
	t.Helper()
	testsupport.KLayout(t)
	dir := t.TempDir()
	testsupport.Batch(t, script(t, "make_pairs.py"), map[string]string{"out": dir})
	return dir
}

func counts(lib *Library) string {
	shapes, inst := 0, 0
	for _, c := range lib.Cells {
		shapes += c.NumShapes()
		inst += len(c.Refs)
	}
	return fmt.Sprintf("cells %d shapes %d instances %d", len(lib.Cells), shapes, inst)
}

// TestKLayoutAgrees checks, against KLayout 0.28.5 in batch mode, that
// KLayout reads what lywatch writes and counts the same, that KLayout-made
// layouts round-trip with equal hashes, and that Diff's verdicts agree with
// KLayout's LayoutDiff.
func TestKLayoutAgrees(t *testing.T) {
	dir := makePairs(t)
	out := t.TempDir()
	var written []string
	want := map[string]string{}
	// The shared third-party files where they are; the rest of the test runs
	// without them.
	shared, _ := filepath.Glob(filepath.Join(testsupport.Root(t), "..", "shared", "testdata", "gds", "*.gds"))
	inputs := append([]string{filepath.Join(dir, "base.gds")}, shared...)
	for _, v := range variants {
		inputs = append(inputs, filepath.Join(dir, v+".gds"))
	}
	// A synthetic layout of a few MB, so that its .gds.gz has several
	// parallel-compressed blocks.
	synth := filepath.Join(dir, "synthetic.gds")
	if err := WriteFile(synth, benchLibrary(60, 400)); err != nil {
		t.Fatal(err)
	}
	inputs = append(inputs, synth)
	for _, in := range inputs {
		if filepath.Base(in) == "gdsfactory_straight.gds" {
			continue // KLayout 0.28.5 refuses its context cell, as it refuses the original
		}
		lib, err := ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(in), ".gds")
		p := filepath.Join(out, name+"_lywatch.gds")
		if back := roundTripFile(t, lib, p); !maps.Equal(mustHashes(t, lib), mustHashes(t, back)) {
			t.Errorf("%s: hashes differ after a round trip", name)
		}
		written = append(written, p)
		want[filepath.Base(p)] = counts(lib)
		if name == "gdspy_photonics" || name == "synthetic" { // compressed too, as sessions store layouts
			gz := filepath.Join(out, name+"_lywatch.gds.gz")
			if err := WriteFile(gz, lib); err != nil {
				t.Fatal(err)
			}
			written = append(written, gz)
			want[filepath.Base(gz)] = counts(lib)
		}
	}
	got := testsupport.Batch(t, script(t, "count.py"), map[string]string{"files": strings.Join(written, ",")})
	for _, line := range strings.Split(got, "\n") {
		name, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		if w, ok := want[name]; ok {
			if rest != w {
				t.Errorf("KLayout reads %s as %s; lywatch wrote %s", name, rest, w)
			}
			delete(want, name)
		}
	}
	if len(want) > 0 {
		t.Errorf("KLayout printed nothing for %v:\n%s", want, got)
	}

	// Diff verdicts against KLayout's LayoutDiff.
	var others []string
	for _, v := range variants {
		others = append(others, filepath.Join(dir, v+".gds"))
	}
	verdicts := testsupport.Batch(t, script(t, "verdicts.py"),
		map[string]string{"base": filepath.Join(dir, "base.gds"), "others": strings.Join(others, ",")})
	base, err := ReadFile(filepath.Join(dir, "base.gds"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(verdicts, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || !strings.HasSuffix(f[0], ".gds") {
			continue
		}
		seen++
		other, err := ReadFile(filepath.Join(dir, f[0]))
		if err != nil {
			t.Fatal(err)
		}
		res := Diff(base, other)
		kl := f[1] == "equal"
		if res.Equal != kl {
			t.Errorf("%s: lywatch says equal=%v, KLayout's LayoutDiff says %s (%+v)", f[0], res.Equal, f[1], res)
		}
		wantEqual := f[0] == "reordered.gds"
		if kl != wantEqual {
			t.Errorf("%s: KLayout says %s; the test expected equal=%v", f[0], f[1], wantEqual)
		}
	}
	if seen != len(variants) {
		t.Errorf("KLayout gave %d verdicts, want %d:\n%s", seen, len(variants), verdicts)
	}
}

// TestKLayoutDiffDetails checks what Diff and the hashes say about each
// KLayout-made variant.
func TestKLayoutDiffDetails(t *testing.T) {
	dir := makePairs(t)
	read := func(name string) *Library {
		lib, err := ReadFile(filepath.Join(dir, name+".gds"))
		if err != nil {
			t.Fatal(err)
		}
		return lib
	}
	base := read("base")
	bh := mustHashes(t, base)

	if !maps.Equal(bh, mustHashes(t, read("reordered"))) {
		t.Error("reordered shapes changed hashes")
	}

	mv := read("moved_vertex")
	mh := mustHashes(t, mv)
	if mh["LEAF"].Local == bh["LEAF"].Local || mh["LEAF"].Deep == bh["LEAF"].Deep {
		t.Error("moved vertex: LEAF's hashes unchanged")
	}
	for _, parent := range []string{"MID", "TOP"} {
		if mh[parent].Local != bh[parent].Local {
			t.Errorf("moved vertex: %s's local hash changed", parent)
		}
		if mh[parent].Deep == bh[parent].Deep {
			t.Errorf("moved vertex: %s's deep hash unchanged", parent)
		}
	}
	d := Diff(base, mv)
	if len(d.Changed) != 1 || d.Changed[0].Name != "LEAF" || d.Changed[0].InstancesChanged ||
		len(d.Changed[0].Layers) != 1 || d.Changed[0].Layers[0] != (LayerDiff{Layer: 2, Datatype: 0, Added: 1, Removed: 1}) {
		t.Errorf("moved vertex diff: %+v", d)
	}

	d = Diff(base, read("renamed"))
	if fmt.Sprint(d.Added, d.Removed) != "[LEAF_RENAMED] [LEAF]" {
		t.Errorf("renamed: added %v removed %v", d.Added, d.Removed)
	}

	d = Diff(base, read("added_layer"))
	if len(d.Changed) != 1 || d.Changed[0].Layers[0] != (LayerDiff{Layer: 3, Datatype: 0, Added: 1}) {
		t.Errorf("added layer diff: %+v", d)
	}

	ph := mustHashes(t, read("pitch"))
	if ph["MID"].Local == bh["MID"].Local || ph["LEAF"] != bh["LEAF"] {
		t.Error("array pitch: MID unchanged or LEAF changed")
	}
	d = Diff(base, read("pitch"))
	if len(d.Changed) != 1 || d.Changed[0].Name != "MID" || !d.Changed[0].InstancesChanged {
		t.Errorf("pitch diff: %+v", d)
	}

	prh := mustHashes(t, read("property"))
	if prh["LEAF"].Local == bh["LEAF"].Local {
		t.Error("changed property: LEAF's hash unchanged")
	}
}
