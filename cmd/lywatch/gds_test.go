package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/internal/testsupport"
)

func sharedGDS(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testsupport.SharedGDSDir(t), name)
}

func TestGDSInfoJSON(t *testing.T) {
	code, out, errOut := runCmd(t, "gds", "info", sharedGDS(t, "gdsfactory_straight.gds"), "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(raw))
	if want := []string{"cells", "dbu", "file", "top_cells", "user_unit"}; !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	var info struct {
		DBU      float64  `json:"dbu"`
		TopCells []string `json:"top_cells"`
		Cells    []map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.DBU != 0.001 || len(info.Cells) != 1 || !slices.Equal(info.TopCells, []string{"straight_L1p234_N2_CSxs_sc"}) {
		t.Fatalf("info %+v", info)
	}
	cellKeys := slices.Sorted(maps.Keys(info.Cells[0]))
	if want := []string{"children", "deep_hash", "instances", "local_hash", "meta", "name", "shapes"}; !slices.Equal(cellKeys, want) {
		t.Errorf("cell keys %v, want %v", cellKeys, want)
	}
	var meta map[string]string
	json.Unmarshal(info.Cells[0]["meta"], &meta)
	if meta["kfactory:settings:function_name"] != "straight" {
		t.Errorf("meta %v", meta)
	}
}

func TestGDSInfoText(t *testing.T) {
	code, out, _ := runCmd(t, "gds", "info", "--no-color", sharedGDS(t, "gdsfactory_mzi2x2.gds"))
	if code != exitOK || !strings.Contains(out, "top cells: mzi_6f76ede3") || !strings.Contains(out, "cells: 10") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestGDSDiffExitCodes(t *testing.T) {
	a, b := sharedGDS(t, "gdsfactory_mzi2x2.gds"), sharedGDS(t, "gdsfactory_mmi1x2.gds")
	gz := filepath.Join(t.TempDir(), "a.gds.gz")
	if code, _, errOut := runCmd(t, "gds", "gzip", a, gz); code != exitOK {
		t.Fatalf("gds gzip: exit %d: %s", code, errOut)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"gds", "diff", a, a}, exitOK, "equal"},
		{[]string{"gds", "diff", a, gz}, exitOK, "equal"},
		{[]string{"gds", "diff", "--no-color", a, b}, exitFail, "+ cell mmi1x2_gds"},
		{[]string{"gds", "diff", a, b, "--json"}, exitFail, `"removed": [`},
		{[]string{"gds", "diff", a, "/nonexistent.gds"}, exitError, ""},
		{[]string{"gds", "diff", a}, exitError, ""},
		{[]string{"gds", "info", "/nonexistent.gds"}, exitError, ""},
		{[]string{"gds", "frobnicate"}, exitError, ""},
		{[]string{"gds"}, exitError, ""},
	}
	for _, tt := range tests {
		code, out, _ := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("lywatch %v: exit %d, output %q; want exit %d containing %q", tt.args, code, out, tt.code, tt.want)
		}
	}
}

func TestGDSDiffJSONKeys(t *testing.T) {
	a, b := sharedGDS(t, "gdsfactory_alphabet_3top_cells.gds"), sharedGDS(t, "gdsfactory_small_rect.gds")
	_, out, _ := runCmd(t, "gds", "diff", "--json", a, b)
	var res map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"equal", "added", "removed", "changed"} {
		if _, ok := res[k]; !ok {
			t.Errorf("diff JSON lacks %q: %s", k, out)
		}
	}
	if len(res) != 4 {
		t.Errorf("diff JSON has extra keys: %s", out)
	}
}

func TestGDSDiffChangedCell(t *testing.T) {
	a := sharedGDS(t, "gdsfactory_mzi2x2.gds")
	lib, err := gds.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	c := lib.Cell("mmi1x2_be5e636a")
	c.Shapes[0].XY[1].X += 5
	b := filepath.Join(t.TempDir(), "b.gds")
	if err := gds.WriteFile(b, lib); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, "gds", "diff", "--json", a, b)
	if code != exitFail {
		t.Fatalf("exit %d", code)
	}
	var res struct {
		Changed []map[string]json.RawMessage `json:"changed"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Changed) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	keys := slices.Sorted(maps.Keys(res.Changed[0]))
	if want := []string{"instances_changed", "layers", "name"}; !slices.Equal(keys, want) {
		t.Errorf("changed keys %v", keys)
	}
	var layers []map[string]int
	json.Unmarshal(res.Changed[0]["layers"], &layers)
	if len(layers) != 1 || layers[0]["added"] != 1 || layers[0]["removed"] != 1 || len(layers[0]) != 4 {
		t.Errorf("layers %v", layers)
	}
}

// writeGhostLayout writes a layout whose TOP places LEAF and the cells
// GHOST_0 to GHOST_{n-1}, which it does not define, unless defined.
func writeGhostLayout(t *testing.T, path string, n int, defined ...string) {
	t.Helper()
	box := gds.Shape{Kind: gds.Boundary, Layer: 1, XY: []gds.Point{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 10, Y: 10}, {X: 0, Y: 10}, {X: 0, Y: 0}}}
	top := &gds.Cell{Name: "TOP", Shapes: []gds.Shape{box}, Refs: []gds.Ref{{Name: "LEAF"}}}
	lib := &gds.Library{Name: "LIB", UserUnit: 1e-3, DBU: 1e-9, Cells: []*gds.Cell{{Name: "LEAF", Shapes: []gds.Shape{box}}, top}}
	for i := range n {
		top.Refs = append(top.Refs, gds.Ref{Name: fmt.Sprintf("GHOST_%d", i), Origin: gds.Point{X: int32(100 * i)}})
	}
	for _, name := range defined {
		lib.Cells = append(lib.Cells, &gds.Cell{Name: name, Shapes: []gds.Shape{box}})
	}
	if err := gds.WriteFile(path, lib); err != nil {
		t.Fatal(err)
	}
}

// TestGDSGhostCells checks that `gds info` and `gds diff` read references
// to undefined cells as ghost cells, mark them, and warn.
func TestGDSGhostCells(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gds"), filepath.Join(dir, "b.gds")
	writeGhostLayout(t, a, 7)
	writeGhostLayout(t, b, 7, "GHOST_0")

	code, out, errOut := runCmd(t, "gds", "info", a, "--json")
	if code != exitOK {
		t.Fatalf("gds info --json: exit %d: %s", code, errOut)
	}
	var info struct {
		TopCells []string `json:"top_cells"`
		Cells    []struct {
			Name  string `json:"name"`
			Ghost bool   `json:"ghost"`
		} `json:"cells"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	var ghosts []string
	for _, c := range info.Cells {
		if c.Ghost {
			ghosts = append(ghosts, c.Name)
		}
	}
	if len(info.Cells) != 9 || len(ghosts) != 7 || ghosts[0] != "GHOST_0" || !slices.Equal(info.TopCells, []string{"TOP"}) {
		t.Errorf("cells %+v, ghosts %v, top %v", info.Cells, ghosts, info.TopCells)
	}
	if n := strings.Count(errOut, "read as an empty ghost cell"); n != 5 || !strings.Contains(errOut, "and 2 more undefined cells") {
		t.Errorf("warnings:\n%s", errOut)
	}

	code, out, _ = runCmd(t, "gds", "info", "--no-color", a)
	if code != exitOK || !strings.Contains(out, "cells: 9 (7 of them ghost cells") || !strings.Contains(out, "GHOST_3  ghost: placed, not defined") {
		t.Errorf("gds info: exit %d:\n%s", code, out)
	}

	code, out, errOut = runCmd(t, "gds", "diff", "--no-color", a, b)
	if code != exitFail || !strings.Contains(out, "~ cell GHOST_0\n    was a ghost (placed, not defined), now defined\n    layer 1/0: +1 -0") ||
		!strings.Contains(errOut, "a.gds: warning:") {
		t.Errorf("gds diff: exit %d:\n%s\nstderr:\n%s", code, out, errOut)
	}
	_, out, _ = runCmd(t, "gds", "diff", "--json", a, b)
	var res struct {
		Changed []struct {
			Name   string `json:"name"`
			GhostA bool   `json:"ghost_a"`
		} `json:"changed"`
		GhostsA []string `json:"ghosts_a"`
		GhostsB []string `json:"ghosts_b"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Changed) != 1 || !res.Changed[0].GhostA || len(res.GhostsA) != 7 || len(res.GhostsB) != 6 {
		t.Errorf("gds diff --json: %s", out)
	}
	if code, _, _ := runCmd(t, "gds", "diff", a, a); code != exitOK {
		t.Errorf("a layout with ghosts differs from itself: exit %d", code)
	}
}

// TestGDSDiffRenamed checks that gds diff reports a kfactory cell renamed
// by an edit of its parameters as one modified cell, paired through the
// factory in its metadata.
func TestGDSDiffRenamed(t *testing.T) {
	dir := t.TempDir()
	write := func(path, leaf string, w int32) {
		t.Helper()
		box := gds.Shape{Kind: gds.Boundary, Layer: 1, XY: []gds.Point{{X: 0, Y: 0}, {X: w, Y: 0}, {X: w, Y: 10}, {X: 0, Y: 10}, {X: 0, Y: 0}}}
		lib := &gds.Library{Name: "LIB", UserUnit: 1e-3, DBU: 1e-9, Cells: []*gds.Cell{
			{Name: leaf, Shapes: []gds.Shape{box}},
			{Name: "TOP", Refs: []gds.Ref{{Name: leaf}}},
		}}
		lib.Context = &gds.Cell{Name: gds.ContextCellName, Refs: []gds.Ref{{Name: leaf,
			Props: []gds.Property{{Attr: 0, Value: "META('kfactory:function_name')='mmi1x2'"}}}}}
		if err := gds.WriteFile(path, lib); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "a.gds"), filepath.Join(dir, "b.gds")
	write(a, "mmi1x2_W0p5_WM2p5", 20)
	write(b, "mmi1x2_W0p5_WM6", 30)
	code, out, _ := runCmd(t, "gds", "diff", "--no-color", a, b)
	if code != exitFail || !strings.Contains(out, "~ cell mmi1x2_W0p5_WM6 modified (renamed from mmi1x2_W0p5_WM2p5)\n    layer 1/0: +1 -1\n") ||
		strings.Contains(out, "+ cell") || strings.Contains(out, "- cell") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	_, out, _ = runCmd(t, "gds", "diff", "--json", a, b)
	type changed struct {
		Name        string `json:"name"`
		RenamedFrom string `json:"renamed_from"`
	}
	var res struct {
		Added   []string  `json:"added"`
		Removed []string  `json:"removed"`
		Changed []changed `json:"changed"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	want := changed{Name: "mmi1x2_W0p5_WM6", RenamedFrom: "mmi1x2_W0p5_WM2p5"}
	if !slices.Contains(res.Changed, want) || len(res.Added)+len(res.Removed) != 0 {
		t.Errorf("gds diff --json:\n%s", out)
	}
}

// TestGDSGzipUmask checks that `lywatch gds gzip` output follows the umask
// (0666 less it), as any program's output: under umask 077 it is 0600 (it
// used to be forced to 0644), under 022 0644. lywatch runs in a child
// process (this test binary, TestGDSGzipUmaskChild), so that the umask it
// is given changes nothing in this one.
func TestGDSGzipUmask(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.gds")
	writeGhostLayout(t, in, 1)
	for _, mask := range []int{0o077, 0o022} {
		for _, name := range []string{"out.gds.gz", "out.gds"} {
			out := filepath.Join(t.TempDir(), name)
			cmd := exec.Command(os.Args[0], "-test.run=^TestGDSGzipUmaskChild$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("LYWATCH_TEST_UMASK_CHILD=%o %s %s", mask, in, out))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v:\n%s", err, b)
			}
			fi, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fi.Mode().Perm(), os.FileMode(0o666&^mask); got != want {
				t.Errorf("gds gzip under umask %03o: %s has mode %v, want %v", mask, name, got, want)
			}
		}
	}
}

// TestGDSGzipUmaskChild is TestGDSGzipUmask's child: it runs `lywatch gds
// gzip IN OUT` under the umask LYWATCH_TEST_UMASK_CHILD gives ("MASK IN
// OUT"), and nothing when that is not set.
func TestGDSGzipUmaskChild(t *testing.T) {
	f := strings.Fields(os.Getenv("LYWATCH_TEST_UMASK_CHILD"))
	if len(f) != 3 {
		t.Skip("run by TestGDSGzipUmask")
	}
	mask, err := strconv.ParseUint(f[0], 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Umask(int(mask))
	if code, _, errOut := runCmd(t, "gds", "gzip", f[1], f[2]); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
