package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/loop"
)

// warmEdit is one edit of the example PDK: files to write ("" deletes).
type warmEdit struct {
	name  string
	files map[string]string
	fails bool // the build fails (cold and warm)
}

// warmEdits are the edits of TestWarmBuildsMatchColdBuilds, applied in
// turn to a copy of the example PDK whose sources are src.
func warmEdits(src func(string) string) []warmEdit {
	sub := func(file, old, new string) string {
		s := src(file)
		if !strings.Contains(s, old) {
			panic(file + " lacks " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
	chip := sub("chip.py", "DELTA_LENGTHS = (10.0, 20.0, 40.0)", "DELTA_LENGTHS = (10.0, 30.0, 40.0)")
	chipWithMarks := strings.Replace(strings.Replace(chip,
		"from mypdk.components import mmi1x2, mzi, pad, straight", "from mypdk.components import mmi1x2, mzi, pad, straight\nfrom mypdk.components.marks import mark", 1),
		"    ref = mmi1x2()", "    c.create_inst(mark(), pya.Trans(to_dbu(w - 50.0), to_dbu(h - 50.0)))\n    ref = mmi1x2()", 1)
	marks := func(size string) string {
		return `"""Alignment marks."""

import mypdk as pdk
from mypdk import layers
from mypdk.helpers import box


@pdk.cell
def mark(size: float = ` + size + `) -> pdk.KCell:
    """A cross of two bars on the metal layer."""
    c = pdk.KCell()
    h = size / 2
    c.shapes(layers.METAL).insert(box(-h, -1, h, 1))
    c.shapes(layers.METAL).insert(box(-1, -h, 1, h))
    return c
`
	}
	return []warmEdit{
		{name: "a factory's default", files: map[string]string{"mypdk/components/mmi.py": sub("mypdk/components/mmi.py", "width_mmi: float = 2.5", "width_mmi: float = 2.6")}},
		{name: "a helper's constant", files: map[string]string{"mypdk/helpers.py": sub("mypdk/helpers.py", "ARC_POINTS_PER_90 = 64", "ARC_POINTS_PER_90 = 48")}},
		{name: "the chip", files: map[string]string{"chip.py": chip}},
		{name: "a syntax error", files: map[string]string{"mypdk/components/waveguides.py": src("mypdk/components/waveguides.py") + "\ndef broken(:\n    pass\n"}, fails: true},
		{name: "its fix", files: map[string]string{"mypdk/components/waveguides.py": src("mypdk/components/waveguides.py")}},
		{name: "another factory", files: map[string]string{"mypdk/components/pads.py": sub("mypdk/components/pads.py", "size: float = 80.0", "size: float = 90.0")}},
		{name: "a new module", files: map[string]string{"mypdk/components/marks.py": marks("20.0"), "chip.py": chipWithMarks}},
		{name: "the new module", files: map[string]string{"mypdk/components/marks.py": marks("30.0")}},
		{name: "the module deleted", files: map[string]string{"chip.py": chip, "mypdk/components/marks.py": ""}},
		{name: "a helper function", files: map[string]string{"mypdk/helpers.py": sub("mypdk/helpers.py", "def text(label, x, y, size=10.0):", "def text(label, x, y, size=12.0):")}},
		{name: "a constant of tapers", files: map[string]string{"mypdk/components/tapers.py": sub("mypdk/components/tapers.py", "SLAB_MARGIN = 2.0", "SLAB_MARGIN = 2.5")}},
		{name: "all undone", files: map[string]string{
			"chip.py": src("chip.py"), "mypdk/helpers.py": src("mypdk/helpers.py"), "mypdk/components/mmi.py": src("mypdk/components/mmi.py"),
			"mypdk/components/pads.py": src("mypdk/components/pads.py"), "mypdk/components/tapers.py": src("mypdk/components/tapers.py"),
		}},
	}
}

// TestWarmBuildsMatchColdBuilds: lywatch --warm on the example PDK, through
// a series of edits (factories, helpers, the chip, a syntax error and its
// fix, a new module, an edit of it and its deletion): after each, the
// warm build's layout has the same cells, by their hashes and by KLayout's
// LayoutDiff, as a cold build (klayout -b -r build.py) of the same sources,
// and a build fails warm exactly when it fails cold. The builds are given
// their session layout (LYWATCH_SESSION_LAYOUT): the cells the example
// PDK reuses from it are checked the same way.
func TestWarmBuildsMatchColdBuilds(t *testing.T) {
	kl := testsupport.KLayout(t)
	dir := testsupport.CopyPDK(t)
	orig := map[string]string{}
	src := func(f string) string {
		if s, ok := orig[f]; ok {
			return s
		}
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		orig[f] = string(b)
		return orig[f]
	}
	edits := warmEdits(src)
	out := filepath.Join(dir, "build", "chip.gds")
	snaps := t.TempDir()
	t.Setenv("NO_COLOR", "1")
	t.Chdir(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testsupport.Buffer
	done := make(chan int, 1)
	args := []string{"--no-config", "--warm", "--no-push", "--json", "--debounce", "20ms", "--watch", dir, "--output", out,
		"--session-dir", filepath.Join(t.TempDir(), "session"), "--", kl, "-b", "-r", "build.py", "-rd", "out=build/chip.gds"}
	go func() { done <- run(ctx, args, strings.NewReader(""), &stdout, &stderr) }()
	defer func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("lywatch's output:\n%s", stderr.String())
		}
	}()

	// Cold builds of a snapshot of the sources after each edit run beside
	// the warm ones, two at a time.
	var wg sync.WaitGroup
	slots := make(chan struct{}, 2)
	cold := make([]error, len(edits)+1)
	coldBuild := func(i int) {
		tree := filepath.Join(snaps, fmt.Sprint("src", i))
		testsupport.CopyTree(t, dir, tree)
		os.RemoveAll(filepath.Join(tree, "build"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			cmd := exec.Command(kl, "-b", "-r", "build.py", "-rd", "out="+filepath.Join(snaps, fmt.Sprintf("cold%d.gds", i)))
			cmd.Dir = tree
			if b, err := cmd.CombinedOutput(); err != nil {
				cold[i] = fmt.Errorf("%v: %s", err, b)
			}
		}()
	}
	reports := func() []loop.Report {
		var rs []loop.Report
		for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
			var r loop.Report
			if json.Unmarshal([]byte(l), &r) == nil {
				rs = append(rs, r)
			}
		}
		return rs
	}
	seen := 0
	// next waits for the report of a build (good or failed) after the
	// reports seen so far.
	next := func(what string) loop.Report {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			rs := reports()
			for ; seen < len(rs); seen++ {
				if st := rs[seen].Status; st == loop.StatusOK || st == loop.StatusFailed {
					seen++
					return rs[seen-1]
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no build report for %s; reports:\n%s", what, stdout.String())
		return loop.Report{}
	}
	keep := func(i int) {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(snaps, fmt.Sprintf("warm%d.gds", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := next("the start-up build"); r.Status != loop.StatusOK {
		t.Fatalf("start-up build: %+v", r)
	}
	keep(0)
	coldBuild(0)
	for i, e := range edits {
		// New files first and deletions last, so that no moment between
		// the writes imports a module that is not there.
		names := slices.Sorted(maps.Keys(e.files))
		rank := func(name string) int {
			_, err := os.Stat(filepath.Join(dir, name))
			switch {
			case e.files[name] == "":
				return 2
			case err != nil:
				return 0
			}
			return 1
		}
		slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
		for _, name := range names {
			p := filepath.Join(dir, name)
			if e.files[name] == "" {
				os.Remove(p)
				continue
			}
			writeFile(t, p, e.files[name])
		}
		r := next(e.name)
		if failed := r.Status == loop.StatusFailed; failed != e.fails {
			t.Fatalf("edit %d (%s): status %s\n%+v", i+1, e.name, r.Status, r)
		}
		coldBuild(i + 1)
		if !e.fails {
			keep(i + 1)
		}
	}
	wg.Wait()
	var pairs []string
	for i := range cold {
		e := warmEdit{}
		if i > 0 {
			e = edits[i-1]
		}
		if e.fails {
			if cold[i] == nil {
				t.Errorf("edit %d (%s): the cold build did not fail", i, e.name)
			}
			continue
		}
		if cold[i] != nil {
			t.Errorf("edit %d (%s): cold build: %v", i, e.name, cold[i])
			continue
		}
		w, c := filepath.Join(snaps, fmt.Sprintf("warm%d.gds", i)), filepath.Join(snaps, fmt.Sprintf("cold%d.gds", i))
		wh, ch := cellHashes(t, w), cellHashes(t, c)
		if !maps.Equal(wh, ch) {
			t.Errorf("edit %d (%s): warm and cold layouts differ: %s", i, e.name, hashDiff(wh, ch))
		}
		pairs = append(pairs, w+"|"+c)
	}
	diff, err := os.ReadFile(filepath.Join(testsupport.Root(t), "cmd", "lywatch", "testdata", "layoutdiff.py"))
	if err != nil {
		t.Fatal(err)
	}
	if got := testsupport.Batch(t, string(diff), map[string]string{"pairs": strings.Join(pairs, ";")}); got != "same "+fmt.Sprint(len(pairs)) {
		t.Errorf("KLayout's LayoutDiff: %s", got)
	}
	if n := strings.Count(stderr.String(), "(warm)"); n < len(edits)-1 {
		t.Errorf("%d builds ran warm, want every build after the first", n)
	}
	// The example PDK reuses the cells of factories no edit reached.
	if n := strings.Count(stderr.String(), " from the last good build)"); n < len(edits)/2 {
		t.Errorf("%d builds reused cells of the last good build, want most", n)
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "] built ") || strings.Contains(l, " → build ") {
			t.Log(l)
		}
	}
}

// cellHashes reads a layout's cell hashes.
func cellHashes(t *testing.T, path string) map[string]gds.CellHash {
	t.Helper()
	lib, err := gds.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lib.Hashes()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hashDiff names the cells whose hashes differ.
func hashDiff(a, b map[string]gds.CellHash) string {
	var out []string
	for n, h := range a {
		if b[n] != h {
			out = append(out, n)
		}
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			out = append(out, n+" (cold only)")
		}
	}
	return strings.Join(out, ", ")
}
