package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

func pdkDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "pdk"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildChip builds the example PDK in dir with KLayout into a temporary
// chip.gds (and chip.cells.json beside it) and returns its path; it skips
// where KLayout is missing.
func buildChip(t *testing.T, dir string) string {
	t.Helper()
	kl := testsupport.KLayout(t)
	out := filepath.Join(t.TempDir(), "chip.gds")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kl, "-b", "-r", filepath.Join(dir, "build.py"), "-rd", "out="+out)
	cmd.Env = append(cmd.Environ(), "HOME="+t.TempDir())
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the example chip: %v\n%s", err, b)
	}
	return out
}

func TestGraphText(t *testing.T) {
	dir := pdkDir(t)
	layout := buildChip(t, dir)
	code, out, errs := runCmd(t, "graph", "--root", dir, "--no-color", "--layout", layout, "--entry", "build.py")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"mypdk/components/mzi.py (mypdk.components.mzi)",
		"factory mzi  34-67  made by @cell",
		"factory pad  11-19  made by @pdk.cell",
		"target chip: entry files build.py; 15 cells",
		"cell taper_W0p5_W1_L10  made by mypdk.components.tapers.taper",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGraphJSONAndDOT(t *testing.T) {
	dir := pdkDir(t)
	code, out, errs := runCmd(t, "graph", "--json", "--root", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var g graphJSON
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range g.Nodes {
		if n.ID == "def:mypdk.components.mzi:mzi" && n.Kind == "factory" && n.File == "mypdk/components/mzi.py" && n.Decorator == "cell" && len(n.Deps) > 0 {
			found = true
		}
	}
	if !found || len(g.Files) < 10 || g.Cycles == nil || g.Errors == nil {
		t.Errorf("JSON graph: factory mzi found %v, %d files, cycles %v", found, len(g.Files), g.Cycles)
	}
	code, out, _ = runCmd(t, "graph", "--dot", "--root", dir)
	if code != exitOK || !strings.HasPrefix(out, "digraph lywatch {") || !strings.Contains(out, `"def:mypdk.components.mzi:mzi" -> "def:mypdk.components.mmi:mmi1x2"`) {
		t.Errorf("dot: exit %d, %.200s", code, out)
	}
}

func TestGraphUsage(t *testing.T) {
	tests := [][]string{
		{"graph", "--json", "--dot"},
		{"graph", "extra"},
		{"graph", "--granularity", "line"},
		{"graph", "--root", "/does/not/exist"},
		{"graph", "--root", ".", "--layout", "/does/not/exist.gds"},
	}
	for _, args := range tests {
		if code, _, errs := runCmd(t, args...); code != exitError || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with a message", args, code, errs)
		}
	}
}
