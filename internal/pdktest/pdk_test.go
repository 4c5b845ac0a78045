package pdktest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha3"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/internal/testsupport"
)

// pdkDir returns the example PDK's source folder.
func pdkDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(testsupport.Root(t), "testdata", "pdk")
}

// build runs `klayout -b -r build.py -rd out=out` in dir, with more
// environment variables if given, and returns its combined output and
// error.
func build(t *testing.T, dir, out string, env ...string) (string, error) {
	t.Helper()
	kl := testsupport.KLayout(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kl, "-b", "-r", "build.py", "-rd", "out="+out)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "HOME="+t.TempDir()), env...)
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// mustBuild builds and fails the test on error; it returns the GDS bytes.
func mustBuild(t *testing.T, dir, out string) []byte {
	t.Helper()
	msg, err := build(t, dir, out)
	if err != nil {
		t.Fatalf("build in %s: %v\n%s", dir, err, msg)
	}
	if !strings.Contains(msg, "top chip") {
		t.Errorf("build summary %q does not name the top cell", msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("build wrote no GDS: %v\n%s", err, msg)
	}
	return data
}

// editFile replaces old with new in dir/rel, failing if old is absent.
func editFile(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	path := filepath.Join(dir, rel)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// layoutInfo is what inspectScript reports about a GDS file.
type layoutInfo struct {
	Tops   []string            `json:"tops"`
	Cells  map[string][]string `json:"cells"`
	Depth  int                 `json:"depth"`
	Layers []string            `json:"layers"`
	Texts  int                 `json:"texts"`
}

const inspectScript = `
import json, pya
ly = pya.Layout()
ly.read(gds)
def depth(c):
    return 1 + max([depth(ly.cell(i)) for i in c.each_child_cell()] or [0])
tops = [c.name for c in ly.top_cells()]
texts = 0
for li in ly.layer_indexes():
    texts += sum(1 for s in ly.top_cell().shapes(li).each() if s.is_text())
print(json.dumps({
    "tops": tops,
    "cells": {c.name: sorted(ly.cell(i).name for i in c.each_child_cell()) for c in ly.each_cell()},
    "depth": depth(ly.top_cell()),
    "layers": sorted(str(ly.get_info(i)) for i in ly.layer_indexes()),
    "texts": texts,
}))
`

func inspect(t *testing.T, gds string) layoutInfo {
	t.Helper()
	out := testsupport.Batch(t, inspectScript, map[string]string{"gds": gds})
	var info layoutInfo
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), &info); err != nil {
		t.Fatalf("inspect %s: %v\n%s", gds, err, out)
	}
	return info
}

// wantCells are cells the chip must contain, named as kfactory names them.
var wantCells = []string{
	"chip",
	"mzi_DL10_LY2_LX60_R10_W0p5_WHTrue",
	"mzi_DL20_LY2_LX60_R10_W0p5_WHTrue",
	"mzi_DL40_LY2_LX60_R10_W0p5_WHTrue",
	"mmi1x2_W0p5_WT1_LT10_LM5p5_WM2p5_GM0p25",
	"taper_W0p5_W1_L10",
	"bend_circular_W0p5_R10",
	"straight_W0p5_L300",
	"straight_W0p5_L60",
	"pad_S80",
}

func TestBuildChip(t *testing.T) {
	dir := testsupport.CopyPDK(t)
	out := filepath.Join(dir, "build", "chip.gds")
	mustBuild(t, dir, out)
	info := inspect(t, out)
	if !slices.Equal(info.Tops, []string{"chip"}) {
		t.Errorf("top cells = %v, want [chip]", info.Tops)
	}
	for _, name := range wantCells {
		if _, ok := info.Cells[name]; !ok {
			t.Errorf("cell %s missing; cells: %v", name, info.Cells)
		}
	}
	if info.Depth < 3 {
		t.Errorf("hierarchy depth = %d, want >= 3", info.Depth)
	}
	if got := info.Cells["mmi1x2_W0p5_WT1_LT10_LM5p5_WM2p5_GM0p25"]; !slices.Equal(got, []string{"taper_W0p5_W1_L10"}) {
		t.Errorf("mmi1x2 children = %v, want the taper", got)
	}
	for _, l := range []string{"1/0", "2/0", "41/0", "46/0", "47/0", "66/0"} {
		if !slices.Contains(info.Layers, l) {
			t.Errorf("layer %s missing from %v", l, info.Layers)
		}
	}
	if info.Texts < 3 {
		t.Errorf("chip has %d text labels, want >= 3", info.Texts)
	}

	// The side file maps every cell to its factory.
	var side struct {
		Top   string `json:"top"`
		Cells map[string]struct {
			FunctionName string `json:"function_name"`
			Module       string `json:"module"`
		} `json:"cells"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "build", "chip.cells.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &side); err != nil {
		t.Fatalf("chip.cells.json: %v", err)
	}
	if side.Top != "chip" || len(side.Cells) != len(info.Cells) {
		t.Errorf("chip.cells.json: top %q with %d cells, want chip with %d", side.Top, len(side.Cells), len(info.Cells))
	}
	if m := side.Cells["taper_W0p5_W1_L10"]; m.FunctionName != "taper" || m.Module != "mypdk.components.tapers" {
		t.Errorf("taper metadata = %+v", m)
	}

	// Nothing but the outputs lands in the tree: no caches, no temp files.
	var extra []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && (d.Name() == "__pycache__" || strings.HasPrefix(d.Name(), ".chip")) {
			extra = append(extra, path)
		}
		return nil
	})
	if len(extra) > 0 {
		t.Errorf("build left %v", extra)
	}
}

func TestRebuild(t *testing.T) {
	dir := testsupport.CopyPDK(t)
	out := filepath.Join(dir, "build", "chip.gds")
	first := mustBuild(t, dir, out)
	if again := mustBuild(t, dir, out); !bytes.Equal(first, again) {
		t.Fatal("two builds of the same sources differ")
	}

	// An edited factory changes the output, not the cell names.
	editFile(t, dir, "mypdk/components/tapers.py", "width1 + 2 * SLAB_MARGIN", "width1 + 3 * SLAB_MARGIN")
	edited := mustBuild(t, dir, out)
	if bytes.Equal(first, edited) {
		t.Fatal("editing the taper factory did not change the GDS")
	}
	if info := inspect(t, out); len(info.Cells) != 15 {
		t.Errorf("edited build has %d cells, want 15", len(info.Cells))
	}

	// A failing factory exits non-zero and leaves the last good GDS alone.
	editFile(t, dir, "chip.py", "    c = pdk.KCell()\n", "    raise RuntimeError('boom from chip')\n")
	msg, err := build(t, dir, out)
	if err == nil {
		t.Fatalf("build with a raising factory succeeded:\n%s", msg)
	}
	if !strings.Contains(msg, "boom from chip") {
		t.Errorf("failed build output lacks the error:\n%s", msg)
	}
	if now, _ := os.ReadFile(out); !bytes.Equal(now, edited) {
		t.Error("failed build touched the last good GDS")
	}
}

// namingScript prints mypdk.naming.get_cell_name for each JSON case on stdin.
const namingScript = `
import ast, json, sys
from mypdk.naming import get_cell_name
for fn, params in json.load(sys.stdin):
    print(get_cell_name(fn, **{k: ast.literal_eval(v) for k, v in params}))
`

func TestCellNames(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	var many [][2]string
	for _, k := range []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda_value"} {
		many = append(many, [2]string{k, "12.345"})
	}
	long := "long_factory_A12p345_B12p345_G12p345_D12p345_E12p345_Z12p345_E12p345_T12p345_I12p345_K12p345_LV12p345"
	sum := sha3.Sum512([]byte(long))
	tests := []struct {
		fn     string
		params [][2]string
		want   string
	}{
		{"straight", [][2]string{{"width", "0.5"}, {"length", "10.0"}}, "straight_W0p5_L10"},
		{"wg_taper", [][2]string{{"w1", "0.5"}, {"w2", "1.0"}, {"length", "20.0"}}, "wg_taper_W0p5_W1_L20"},
		{"chip", nil, "chip"},
		{"mzi", [][2]string{{"delta_length", "10.0"}, {"with_heater", "True"}}, "mzi_DL10_WHTrue"},
		{"bend_s", [][2]string{{"size", "(10.0, -2.5)"}}, "bend_s_S10_m2p5"},
		{"offset", [][2]string{{"dx", "-3"}, {"dy", "0"}}, "offset_Dm3_D0"},
		{"straight", [][2]string{{"layer", "(1, 0)"}, {"cross_section", "'xs_sc'"}}, "straight_L1_0_CSxs_sc"},
		{"tiny", [][2]string{{"gap", "1e-05"}}, "tiny_G1em05"},
		{"ring", [][2]string{{"radius", "None"}}, "ring_RNone"},
		{"long_factory", many, long[:90] + "_" + hex.EncodeToString(sum[:])[:8]},
	}
	var cases []any
	for _, tt := range tests {
		params := tt.params
		if params == nil {
			params = [][2]string{}
		}
		cases = append(cases, []any{tt.fn, params})
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-B", "-c", namingScript)
	cmd.Dir = pdkDir(t)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 naming: %v\n%s", err, stderr.String())
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(tests) {
		t.Fatalf("got %d names, want %d:\n%s", len(got), len(tests), out)
	}
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("get_cell_name(%s, %v) = %q, want %q", tt.fn, tt.params, got[i], tt.want)
		}
		if len(got[i]) > 99 {
			t.Errorf("name %q is %d characters, want <= 99", got[i], len(got[i]))
		}
	}
}

// buildEnv is build with more environment variables; it fails the test
// when the build fails, and returns the build's output.
func buildEnv(t *testing.T, dir, out string, env ...string) string {
	t.Helper()
	msg, err := build(t, dir, out, env...)
	if err != nil {
		t.Fatalf("build in %s: %v\n%s", dir, err, msg)
	}
	return msg
}

// gzipFile writes data gzipped, as the session keeps a layout.
func gzipFile(t *testing.T, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReuseFromLastGoodBuild: given its last good layout
// (LYWATCH_SESSION_LAYOUT) and the factories invalidated since
// (LYWATCH_INVALIDATED), a build loads the cells of the other factories
// from that layout, and writes the cells a build from scratch writes. A
// layout that is not the one its .cells.json describes, or
// MYPDK_NO_REUSE, reuses nothing.
func TestReuseFromLastGoodBuild(t *testing.T) {
	dir := testsupport.CopyPDK(t)
	out := filepath.Join(dir, "build", "chip.gds")
	first := mustBuild(t, dir, out)
	session := filepath.Join(t.TempDir(), "cells.gds.gz")
	gzipFile(t, session, first)
	editFile(t, dir, "mypdk/components/mmi.py", "width_mmi: float = 2.5", "width_mmi: float = 2.6")
	scratch := testsupport.CopyPDK(t)
	editFile(t, scratch, "mypdk/components/mmi.py", "width_mmi: float = 2.5", "width_mmi: float = 2.6")
	want := mustBuild(t, scratch, filepath.Join(scratch, "build", "chip.gds"))

	env := []string{"LYWATCH_SESSION_LAYOUT=" + session, "LYWATCH_INVALIDATED=chip\nmmi1x2\nmzi", "LYWATCH_OUTPUT=" + out}
	msg := buildEnv(t, dir, out, env...)
	if !strings.Contains(msg, "15 cells (10 from the last good build)") {
		t.Errorf("build with the session layout: %q, want 10 of 15 cells reused (all but chip, the MZIs and the MMI)", msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := cellHashes(t, got), cellHashes(t, want); !maps.Equal(g, w) {
		t.Errorf("the build reusing cells wrote other cells than a build from scratch")
	}
	// The session now holds another layout than the .cells.json beside
	// the output describes.
	gzipFile(t, session, first)
	if msg := buildEnv(t, dir, out, env...); strings.Contains(msg, "from the last good build") {
		t.Errorf("reused cells of a layout its .cells.json does not describe: %q", msg)
	}
	gzipFile(t, session, mustBuild(t, dir, out)) // the layout and .cells.json agree again
	if msg := buildEnv(t, dir, out, append(env, "MYPDK_NO_REUSE=1")...); strings.Contains(msg, "from the last good build") {
		t.Errorf("reused cells with MYPDK_NO_REUSE=1: %q", msg)
	}
}

// cellHashes reads a GDS file's cell hashes.
func cellHashes(t *testing.T, data []byte) map[string]gds.CellHash {
	t.Helper()
	lib, err := gds.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	h, err := lib.Hashes()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
