package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/geomdiff"
	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// diffPair builds the example PDK before and after a width edit of the MMI
// (which renames the cell with its parameter) and a smaller pad opening,
// and copies both layouts, without the cells files beside them, to a
// folder of their own. It returns the PDK's folder and the two layouts.
func diffPair(t *testing.T) (pdk, a, b string) {
	t.Helper()
	pdk = checkPDK(t)
	t.Chdir(pdk) // gds diff finds the project from the current directory
	out := t.TempDir()
	a, b = filepath.Join(out, "a.gds"), filepath.Join(out, "b.gds")
	writeFile(t, a, string(mustRead(t, filepath.Join(pdk, "tests/ref/chip.gds"))))
	editPDK(t, pdk, "mypdk/components/mmi.py", "width_mmi: float = 2.5", "width_mmi: float = 6")
	editPDK(t, pdk, "mypdk/components/pads.py", "OPENING_INSET = 5.0", "OPENING_INSET = 6.0")
	built := pdkBuild(t, pdk, "build.py", filepath.Join(t.TempDir(), "b.gds"))
	writeFile(t, b, string(mustRead(t, built)))
	return pdk, a, b
}

// TestGDSDiffXOR: gds diff --xor prints what check prints; inside a
// project the renamed MMI is paired with its old name through the
// project's factories. Outside it, only the layouts' own metadata can
// pair them: copies without it show one cell removed and one added, and
// the layouts as built are paired exactly when they carry the MMI's
// factory (KLayout 0.28.8 and later store it; older ones cannot).
func TestGDSDiffXOR(t *testing.T) {
	_, a, b := diffPair(t)
	code, out, errb := runCmd(t, "gds", "diff", a, b)
	if code != exitFail || !strings.Contains(out, "~ cell "+mmiNew+" modified (renamed from "+mmiOld+")") {
		t.Errorf("gds diff in the project: code %d\n%s%s", code, out, errb)
	}
	code, out, errb = runCmd(t, "gds", "diff", a, b, "--xor")
	for _, w := range []string{
		"~ cell " + mmiNew + " modified (renamed from " + mmiOld + ", made by mmi1x2)",
		"    layer 1/0: XOR 19.25 µm² (+19.25 -0), 2 polygons, box (10,-3;15.5,3)",
		"~ cell pad_S80\n    layer 46/0: XOR 276 µm² (+0 -276), 1 polygon, box (-35,-35;35,35)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("gds diff --xor: missing %q", w)
		}
	}
	if code != exitFail || t.Failed() {
		t.Fatalf("gds diff --xor: code %d\n%s%s", code, out, errb)
	}
	rdb := filepath.Join(t.TempDir(), "d.lyrdb")
	code, out, _ = runCmd(t, "gds", "diff", a, b, "--xor", "--json", "--rdb", rdb)
	var res geomdiff.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitFail || len(res.Cells) != 2 || res.RDB != rdb {
		t.Errorf("--json: code %d, %v\n%s", code, err, out)
	}
	if _, err := os.Stat(rdb); err != nil {
		t.Errorf("--rdb: %v", err)
	}
	if code, out, _ = runCmd(t, "gds", "diff", a, a, "--xor"); code != exitOK || !strings.Contains(out, "are equal") {
		t.Errorf("the same layout: code %d\n%s", code, out)
	}
	// Outside the project, only the layouts' metadata names the MMI's
	// factory.
	t.Chdir(t.TempDir())
	removedAdded := []string{"- cell " + mmiOld, "+ cell " + mmiNew}
	renamed := []string{"~ cell " + mmiNew + " modified (renamed from " + mmiOld + ")"}
	want := removedAdded
	if fa, fb := layoutFactory(t, a, mmiOld), layoutFactory(t, b, mmiNew); fa != "" && fa == fb {
		want = renamed
	}
	for _, tc := range []struct {
		name string
		a, b string
		want []string
	}{
		{"as built", a, b, want},
		{"without metadata", rewriteMeta(t, a, "", ""), rewriteMeta(t, b, "", ""), removedAdded},
		{"with the MMI's factory", rewriteMeta(t, a, mmiOld, "mmi1x2"), rewriteMeta(t, b, mmiNew, "mmi1x2"), renamed},
	} {
		code, out, _ = runCmd(t, "gds", "diff", tc.a, tc.b)
		for _, w := range tc.want {
			if code != exitFail || !strings.Contains(out, w) {
				t.Errorf("gds diff outside the project, layouts %s: code %d, want %q in\n%s", tc.name, code, w, out)
			}
		}
	}
}

// layoutFactory is the factory a layout's metadata names for a cell.
func layoutFactory(t *testing.T, path, cell string) string {
	t.Helper()
	lib, err := gds.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := lib.Cell(cell)
	if c == nil {
		t.Fatalf("%s has no cell %s", path, cell)
	}
	return gds.FactoryFromMeta(c.Name, c.Meta)
}

// rewriteMeta writes a copy of a layout whose only metadata is kfactory's
// function_name of cell ("" for none), and returns its path.
func rewriteMeta(t *testing.T, path, cell, factory string) string {
	t.Helper()
	lib, err := gds.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lib.Context, lib.Meta = nil, nil
	for _, c := range lib.Cells {
		c.Meta = nil
	}
	if cell != "" {
		lib.Context = &gds.Cell{Name: gds.ContextCellName, Refs: []gds.Ref{{Name: cell,
			Props: []gds.Property{{Attr: 0, Value: "META('kfactory:function_name')='" + factory + "'"}}}}}
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := gds.WriteFile(out, lib); err != nil {
		t.Fatal(err)
	}
	back, err := gds.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range back.Cells {
		want := ""
		if c.Name == cell {
			want = factory
		}
		if got := gds.FactoryFromMeta(c.Name, c.Meta); got != want {
			t.Fatalf("%s: cell %s names the factory %q, want %q", out, c.Name, got, want)
		}
	}
	return out
}

// rdbKLayout starts a real KLayout with lywatch's server under Xvfb and
// checks that it lists report databases.
func rdbKLayout(t *testing.T) (*testsupport.GUI, *ipc.Client) {
	t.Helper()
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro()})
	t.Setenv(ipc.TokenEnv, g.Token) // lywatch's own requests carry it
	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 20 * time.Second}
	if _, err := c.RDBs(context.Background()); err != nil {
		t.Fatal(err)
	}
	return g, c
}

// TestGDSDiffShowsTheXORInKLayout pushes a diff into a real KLayout under
// Xvfb and reads back, through the server, the report database's
// categories and item counts: one category per differing layer, one item
// per differing region; a second push replaces it.
func TestGDSDiffShowsTheXORInKLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a KLayout")
	}
	g, c := rdbKLayout(t)
	_, a, b := diffPair(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var res geomdiff.Result
	for i := range 2 {
		code, out, errb := runCmd(t, "gds", "diff", a, b, "--show", "--json", "--klayout", g.Addr)
		if code != exitFail || json.Unmarshal([]byte(out), &res) != nil || !strings.Contains(errb, "with the XOR in the marker browser") {
			t.Fatalf("push %d: code %d\n%s%s\nKLayout:\n%s", i+1, code, out, errb, g.Output())
		}
	}
	want := map[string]int{}
	for _, cell := range res.Cells {
		for _, l := range cell.Layers {
			want[l.String()] += l.Polygons
		}
	}
	rdbs, err := c.RDBs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rdbs) != 1 {
		t.Fatalf("%d report databases in the view after two pushes, want 1 (replaced, not piled up): %+v", len(rdbs), rdbs)
	}
	got := map[string]int{}
	for _, cat := range rdbs[0].Categories {
		got[strings.Fields(cat.Name)[0]] = cat.Items
	}
	if len(got) != len(want) || len(want) != 3 {
		t.Errorf("categories %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("category %s: %d items, want %d", k, got[k], n)
		}
	}
	st, err := c.Status(context.Background())
	if err != nil || !strings.HasSuffix(st.File, "b.gds") {
		t.Errorf("KLayout shows %q (%v), want B", st.File, err)
	}
}

// TestShowDiffInTheLiveLoop: with --show-diff the live loop compares each
// good build with the previous one and shows the XOR in KLayout, replacing
// the report database of the build before.
func TestShowDiffInTheLiveLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a KLayout")
	}
	g, c := rdbKLayout(t)
	dir := testsupport.CopyPDK(t)
	t.Setenv("NO_COLOR", "1")
	r := startRun(t, dir, []string{"--show-diff", "--klayout", g.Addr, "--debounce", "5ms", "--output", "build/chip.gds",
		"--", "klayout", "-b", "-r", "build.py", "-rd", "out=build/chip.gds"})
	waitKLayout(t, "the first build's push", func() bool { return strings.Contains(r.out.String(), "→ push") }, r.out.String, r.errb.String)
	for i, inset := range []string{"6.0", "7.0"} {
		old := "OPENING_INSET = 5.0"
		if i > 0 {
			old = "OPENING_INSET = 6.0"
		}
		editPDK(t, dir, "mypdk/components/pads.py", old, "OPENING_INSET = "+inset)
		want := "→ diff "
		waitKLayout(t, "the diff after edit "+inset, func() bool { return strings.Count(r.out.String(), want) == i+1 }, r.out.String, r.errb.String)
	}
	r.stop()
	if !strings.Contains(r.out.String(), "(1 cell differs: 268 µm² on 46/0; shown, 1 item)") {
		t.Errorf("summary:\n%s", r.out.String())
	}
	rdbs, err := c.RDBs(context.Background())
	if err != nil || len(rdbs) != 1 || len(rdbs[0].Categories) != 1 || rdbs[0].Categories[0].Items != 1 {
		t.Errorf("report databases after two diffs: %+v, %v; want one, with one item on 46/0", rdbs, err)
	}
}
