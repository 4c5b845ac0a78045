package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

func TestWhyStale(t *testing.T) {
	dir := testsupport.CopyPDK(t)
	snap := filepath.Join(t.TempDir(), "snap.json")
	layout := buildChip(t, dir)
	if code, _, errs := runCmd(t, "graph", "--root", dir, "--layout", layout, "--entry", "build.py", "--save", snap); code != exitOK {
		t.Fatalf("graph --save: %s", errs)
	}
	p := filepath.Join(dir, "mypdk", "helpers.py")
	b, _ := os.ReadFile(p)
	edited := strings.Replace(string(b), "def taper_polygon(width1, width2, length):\n", "def taper_polygon(width1, width2, length):\n    width2 = width2 + 0\n", 1)
	if err := os.WriteFile(p, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "why", "mzi", "--root", dir, "--since", snap, "--no-color")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"factory mzi (mypdk.components.mzi.mzi)", "depends on:", "stale: the chain from the edit:", "mypdk/helpers.py: def taper_polygon changed", "-> factory taper"} {
		if !strings.Contains(out, want) {
			t.Errorf("why mzi lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "why", "--json", "--root", dir, "--since", snap, "straight_W0p5_L2")
	var w struct {
		Stale bool     `json:"stale"`
		Files []string `json:"changed_files"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &w) != nil || w.Stale || len(w.Files) != 1 {
		t.Errorf("why --json straight cell: exit %d, %+v, %s", code, w, out)
	}
}

func TestWhyWithoutSnapshot(t *testing.T) {
	dir := testsupport.CopyPDK(t) // a copy: the checkout may hold a session from 'make demo'
	t.Chdir(dir)
	code, out, errs := runCmd(t, "why", "mypdk/helpers.py", "--root", dir, "--no-color")
	if code != exitOK || !strings.Contains(out, "module mypdk.helpers") || !strings.Contains(out, "function mypdk.helpers.box") || !strings.Contains(out, "--since") {
		t.Errorf("exit %d, %s %s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "why", "no_such_thing", "--root", dir); code != exitError || !strings.Contains(errs, "no_such_thing") {
		t.Errorf("unknown name: exit %d, %q", code, errs)
	}
	if code, _, _ := runCmd(t, "why"); code != exitError {
		t.Errorf("no name: exit %d", code)
	}
}
