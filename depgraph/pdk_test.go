package depgraph

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// pdkCells is the hierarchy of the example chip as build.py makes it
// (the gds package reads it in the live loop; here it is spelled out).
func pdkCells() []CellInfo {
	mzis := []string{"mzi_DL10_LY2_LX60_R10_W0p5_WHTrue", "mzi_DL20_LY2_LX60_R10_W0p5_WHTrue", "mzi_DL40_LY2_LX60_R10_W0p5_WHTrue"}
	mmi := "mmi1x2_W0p5_WT1_LT10_LM5p5_WM2p5_GM0p25"
	cells := []CellInfo{
		{Name: "chip", Factory: "chip", Children: append([]string{mmi, "pad_S80", "straight_W0p5_L300", "straight_W0p5_L749"}, mzis...)},
		{Name: mmi, Factory: "mmi1x2", Children: []string{"taper_W0p5_W1_L10"}},
		{Name: "taper_W0p5_W1_L10"}, // no metadata: found by name prefix
		{Name: "pad_S80", Factory: "pad"},
		{Name: "bend_circular_W0p5_R10", Factory: "bend_circular"},
	}
	for _, s := range []string{"L12", "L2", "L22", "L300", "L60", "L7", "L749"} {
		cells = append(cells, CellInfo{Name: "straight_W0p5_" + s})
	}
	for _, m := range mzis {
		cells = append(cells, CellInfo{Name: m, Factory: "mzi", Children: []string{mmi, "bend_circular_W0p5_R10", "straight_W0p5_L2", "straight_W0p5_L60"}})
	}
	return cells
}

type pdkEnv struct {
	t   *testing.T
	dir string
	g   *Graph
}

func newPDK(t *testing.T, opts Options) *pdkEnv {
	t.Helper()
	dir := testsupport.CopyPDK(t)
	opts.Dir = dir
	if opts.Targets == nil {
		opts.Targets = []Target{{Name: "chip", Command: "klayout -b -r build.py", Output: "build/chip.gds", Entries: []string{"build.py"}}}
	}
	g, err := Scan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatalf("scan errors: %v", errs)
	}
	g.SetLayout("chip", pdkCells())
	return &pdkEnv{t: t, dir: dir, g: g}
}

// edit replaces old by new in a file (old must occur) and updates.
func (e *pdkEnv) edit(rel, old, new string) *Invalidation {
	e.t.Helper()
	p := filepath.Join(e.dir, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		e.t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return e.update(rel)
}

func (e *pdkEnv) update(rel ...string) *Invalidation {
	e.t.Helper()
	inv, err := e.g.Update(context.Background(), rel)
	if err != nil {
		e.t.Fatal(err)
	}
	return inv
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	want = append([]string(nil), want...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func explainOK(t *testing.T, inv *Invalidation, name, first string) {
	t.Helper()
	chain := inv.Explain(name)
	if len(chain) == 0 || !strings.HasPrefix(chain[0], first) {
		t.Errorf("Explain(%q) = %q, want it to start with %q", name, chain, first)
	}
}

var allMZIs = []string{"mzi_DL10_LY2_LX60_R10_W0p5_WHTrue", "mzi_DL20_LY2_LX60_R10_W0p5_WHTrue", "mzi_DL40_LY2_LX60_R10_W0p5_WHTrue"}

func TestPDKHelperInAnotherModule(t *testing.T) {
	e := newPDK(t, Options{})
	inv := e.edit("mypdk/helpers.py", "def taper_polygon(width1, width2, length):\n", "def taper_polygon(width1, width2, length):\n    width1 = width1 * 1.0\n")
	same(t, "factories", inv.Factories, []string{"taper", "mmi1x2", "mzi", "chip"})
	same(t, "targets", inv.Targets, []string{"chip"})
	for _, c := range []string{"taper_W0p5_W1_L10", "mmi1x2_W0p5_WT1_LT10_LM5p5_WM2p5_GM0p25", "chip"} {
		if !inv.Stale(c) {
			t.Errorf("cell %s not invalidated", c)
		}
	}
	for _, c := range []string{"straight_W0p5_L2", "pad_S80", "bend_circular_W0p5_R10"} {
		if inv.Stale(c) {
			t.Errorf("cell %s invalidated: %q", c, inv.Explain(c))
		}
	}
	explainOK(t, inv, "mzi", "mypdk/helpers.py: def taper_polygon changed")
	explainOK(t, inv, "chip", "mypdk/helpers.py")
}

func TestPDKOneFactory(t *testing.T) {
	e := newPDK(t, Options{})
	inv := e.edit("mypdk/components/waveguides.py", "def straight(width: float = 0.5, length: float = 10.0) -> KCell:\n", "def straight(width: float = 0.5, length: float = 10.0) -> KCell:\n    length = float(length)\n")
	same(t, "factories", inv.Factories, []string{"straight", "mzi", "chip"})
	same(t, "changed", inv.Changed, []string{"factory straight (mypdk.components.waveguides.straight)"})
	if inv.Stale("bend_circular") || inv.Stale("bend_circular_W0p5_R10") || inv.Stale("mmi1x2") {
		t.Errorf("neighbours invalidated: %v", inv.Functions)
	}
	if !inv.Stale("straight_W0p5_L749") || !inv.Stale(allMZIs[1]) {
		t.Errorf("cells: %v", inv.Cells)
	}
	chain := inv.Explain(allMZIs[0])
	if len(chain) < 2 || !strings.Contains(strings.Join(chain, "\n"), "straight") {
		t.Errorf("Explain(mzi cell) = %q", chain)
	}
}

func TestPDKCommentsOnly(t *testing.T) {
	e := newPDK(t, Options{})
	inv := e.edit("mypdk/components/waveguides.py", "@cell\ndef straight(", "# a new comment\n\n\n@cell  # here too\ndef straight(")
	if !inv.Empty() || len(inv.Factories)+len(inv.Cells)+len(inv.Targets) != 0 {
		t.Errorf("comment-only edit invalidated %+v", inv)
	}
	same(t, "files", inv.Files, []string{"mypdk/components/waveguides.py"})
}

func TestPDKModuleConstant(t *testing.T) {
	e := newPDK(t, Options{})
	inv := e.edit("mypdk/components/tapers.py", "SLAB_MARGIN = 2.0", "SLAB_MARGIN = 3.0")
	same(t, "factories", inv.Factories, []string{"taper", "mmi1x2", "mzi", "chip"})
	if inv.Stale("straight") || inv.Stale("pad") {
		t.Errorf("unrelated factories invalidated: %v", inv.Factories)
	}
	explainOK(t, inv, "taper", "mypdk/components/tapers.py: module top-level code changed")
}

func TestPDKRenamedFactory(t *testing.T) {
	e := newPDK(t, Options{})
	inv := e.edit("mypdk/components/pads.py", "def pad(", "def bond_pad(")
	same(t, "factories", inv.Factories, []string{"pad", "bond_pad", "chip"})
	if !inv.Stale("pad_S80") || !inv.Stale("chip") {
		t.Errorf("cells %v", inv.Cells)
	}
	explainOK(t, inv, "pad", "mypdk/components/pads.py: def pad removed or renamed")
	explainOK(t, inv, "bond_pad", "mypdk/components/pads.py: def bond_pad added")
	// The layout still has pad_S80 named after the old factory; it now
	// finds no factory, and the next build's layout replaces it.
	if fs := e.g.factoriesOf(CellInfo{Name: "bond_pad_S80"}); len(fs) != 1 {
		t.Errorf("bond_pad_S80 made by %v", fs)
	}
}

func TestPDKDeletedFile(t *testing.T) {
	e := newPDK(t, Options{})
	if err := os.Remove(filepath.Join(e.dir, "mypdk/components/tapers.py")); err != nil {
		t.Fatal(err)
	}
	inv := e.update("mypdk/components/tapers.py")
	same(t, "factories", inv.Factories, []string{"taper", "mmi1x2", "mzi", "chip"})
	same(t, "targets", inv.Targets, []string{"chip"})
	explainOK(t, inv, "mmi1x2", "mypdk/components/tapers.py: file deleted")
	if e.g.nodes[defID("mypdk.components.tapers", "taper")] != nil {
		t.Error("the deleted file's nodes are still in the graph")
	}
}

func TestPDKNewFile(t *testing.T) {
	e := newPDK(t, Options{})
	src := "from mypdk.cell import cell\nfrom mypdk.helpers import box\nfrom mypdk.kcell import KCell\n\n\n@cell\ndef ring(radius: float = 5.0) -> KCell:\n    c = KCell()\n    box(0, 0, radius, radius)\n    return c\n"
	if err := os.WriteFile(filepath.Join(e.dir, "mypdk/components/rings.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := e.update(filepath.Join(e.dir, "mypdk/components/rings.py"))
	same(t, "factories", inv.Factories, []string{"ring"})
	same(t, "targets", inv.Targets, nil)
	// Now the chip uses it: the chip is invalidated, through the new import.
	inv = e.edit("chip.py", "    ref = mmi1x2()\n", "    ref = mmi1x2()\n    ring()\n")
	inv2 := e.edit("chip.py", "from mypdk.kcell import DBU\n", "from mypdk.kcell import DBU\nfrom mypdk.components.rings import ring\n")
	same(t, "factories", inv.Factories, []string{"chip"})
	same(t, "targets", inv2.Targets, []string{"chip"})
	if fs := e.g.nodes[defID("chip", "chip")].deps; fs[e.g.nodes[defID("mypdk.components.rings", "ring")]] == 0 {
		t.Error("chip does not depend on ring after the import")
	}
}

func TestPDKTwoTargets(t *testing.T) {
	e := newPDK(t, Options{})
	tool := "from mypdk import layers\nfrom mypdk.naming import clean_value\n\nprint(layers.__name__, clean_value(1.5))\n"
	if err := os.MkdirAll(filepath.Join(e.dir, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "tools/table.py"), []byte(tool), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := e.g.opts
	opts.Targets = append(opts.Targets, Target{Name: "table", Command: "python3 tools/table.py", Entries: []string{"tools/table.py"}})
	g, err := Scan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	g.SetLayout("chip", pdkCells())
	e.g = g
	inv := e.edit("mypdk/components/waveguides.py", "def straight(width: float = 0.5, length: float = 10.0) -> KCell:\n", "def straight(width: float = 0.5, length: float = 10.0) -> KCell:\n    length = float(length)\n")
	same(t, "targets", inv.Targets, []string{"chip"})
	inv = e.edit("mypdk/naming.py", "def clean_value(value):\n", "def clean_value(value):\n    value = value\n")
	same(t, "targets", inv.Targets, []string{"chip", "table"})
	explainOK(t, inv, "table", "mypdk/naming.py: def clean_value changed")
}

func TestPDKFileGranularity(t *testing.T) {
	e := newPDK(t, Options{Granularity: GranularityFile})
	inv := e.edit("mypdk/components/waveguides.py", "def straight(width: float = 0.5, length: float = 10.0) -> KCell:\n", "def straight(width: float = 0.5, length: float = 10.0) -> KCell:\n    length = float(length)\n")
	same(t, "factories", inv.Factories, []string{"straight", "bend_circular", "mzi", "chip"})
}

func TestPDKSnapshotRoundTrip(t *testing.T) {
	e := newPDK(t, Options{})
	snap := e.g.Export()
	g, err := FromSnapshot(snap, e.g.opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g.Export(), snap) {
		t.Error("export of the imported snapshot differs")
	}
	p := filepath.Join(e.dir, "mypdk/components/pads.py")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "OPENING_INSET = 5.0", "OPENING_INSET = 4.0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := g.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	same(t, "files", inv.Files, []string{"mypdk/components/pads.py"})
	same(t, "factories", inv.Factories, []string{"pad", "chip"})
}
