package main

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
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
