package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/pipeline"
)

// buildMMI builds the example PDK's MMI alone: a second target, which
// edits of the pads do not reach.
const buildMMI = `"""Build the MMI alone: klayout -b -r build_mmi.py -rd out=build/mmi.gds"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import pya

import mypdk
from mypdk.components import mmi1x2

mmi1x2()
opts = pya.SaveLayoutOptions()
opts.format = "GDS2"
opts.gds2_write_timestamps = False
out = out if os.path.isabs(out) else os.path.join(HERE, out)
os.makedirs(os.path.dirname(out), exist_ok=True)
mypdk.kcl.write(out, opts)
`

const checkConfig = `[[targets]]
name = "chip"
command = ["klayout", "-b", "-r", "build.py", "-rd", "out=build/chip.gds"]
output = "build/chip.gds"
entry = ["build.py"]
reference = "tests/ref/chip.gds"

[[targets]]
name = "mmi"
command = ["klayout", "-b", "-r", "build_mmi.py", "-rd", "out=build/mmi.gds"]
output = "build/mmi.gds"
entry = ["build_mmi.py"]
reference = "tests/ref/mmi.gds"
`

// checkPDK copies the example PDK with two targets, chip and mmi, builds
// them once with lywatch --once (a session) and takes those layouts as
// their references. It returns the folder; its lywatch.toml is
// dir/lywatch.toml (commands name it with --config: tests that run in
// parallel cannot change directory).
func checkPDK(t *testing.T) string {
	t.Helper()
	testsupport.KLayout(t)
	dir := testsupport.CopyPDK(t)
	writeFile(t, filepath.Join(dir, "build_mmi.py"), buildMMI)
	writeFile(t, filepath.Join(dir, "lywatch.toml"), checkConfig)
	if code, out, errb := runCmd(t, "--once", "--no-push", "--config", filepath.Join(dir, "lywatch.toml")); code != exitOK {
		t.Fatalf("the first build: code %d\n%s%s", code, out, errb)
	}
	os.MkdirAll(filepath.Join(dir, "tests/ref"), 0o755)
	for _, n := range []string{"chip", "mmi"} {
		writeFile(t, filepath.Join(dir, "tests/ref", n+".gds"), string(mustRead(t, filepath.Join(dir, "build", n+".gds"))))
	}
	return dir
}

// pdkBuild runs a build script of the PDK in dir with KLayout.
func pdkBuild(t *testing.T, dir, script, out string) string {
	t.Helper()
	cmd := exec.Command(testsupport.KLayout(t), "-b", "-r", script, "-rd", "out="+out)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("klayout -b -r %s: %v\n%s", script, err, b)
	}
	if filepath.IsAbs(out) {
		return out
	}
	return filepath.Join(dir, out)
}

// editPDK replaces old by new in a file of the PDK.
func editPDK(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	b := mustRead(t, p)
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s holds no %q", rel, old)
	}
	writeFile(t, p, strings.Replace(string(b), old, new, 1))
}

// checkJSON runs lywatch check --json and decodes its report.
func checkJSON(t *testing.T, dir string, args ...string) (int, *pipeline.CheckReport, string) {
	t.Helper()
	code, out, errb := runCmd(t, append([]string{"check", "--json", "--config", filepath.Join(dir, "lywatch.toml")}, args...)...)
	var rep pipeline.CheckReport
	if code != exitError || out != "" {
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("check --json: code %d, %v\n%s\n%s", code, err, out, errb)
		}
	}
	return code, &rep, errb
}

// targetsOf maps the report's targets by name.
func targetsOf(rep *pipeline.CheckReport) map[string]pipeline.TargetCheck {
	m := map[string]pipeline.TargetCheck{}
	for _, tc := range rep.Targets {
		m[tc.Target] = tc
	}
	return m
}

// untouched remembers files and tells whether they still hold the same
// bytes.
func untouched(t *testing.T, paths ...string) func() {
	t.Helper()
	before := map[string][]byte{}
	for _, p := range paths {
		before[p] = mustRead(t, p)
	}
	return func() {
		t.Helper()
		for p, b := range before {
			if !bytes.Equal(mustRead(t, p), b) {
				t.Errorf("check wrote %s", p)
			}
		}
	}
}

const (
	mmiOld = "mmi1x2_W0p5_WT1_LT10_LM5p5_WM2p5_GM0p25"
	mmiNew = "mmi1x2_W0p5_WT1_LT10_LM5p5_WM6_GM0p25"
)

// TestCheckOnTheExamplePDK walks lywatch check through a pre-commit day:
// nothing changed, a refactor, a width edit, --update, a broken factory.
// The user's outputs and the session are never written.
func TestCheckOnTheExamplePDK(t *testing.T) {
	t.Parallel()
	dir := checkPDK(t)
	same := untouched(t, filepath.Join(dir, "build/chip.gds"), filepath.Join(dir, "build/mmi.gds"),
		filepath.Join(dir, "build/session/targets/chip/manifest.json"), filepath.Join(dir, "build/session/targets/mmi/manifest.json"))
	defer same()

	// No change: nothing built, both the same as their references.
	code, rep, errb := checkJSON(t, dir)
	for _, tc := range rep.Targets {
		if tc.Built || tc.Status != pipeline.CheckSame {
			t.Errorf("no change: %s built %v, %s %s", tc.Target, tc.Built, tc.Status, tc.Error)
		}
	}
	if code != exitOK || len(rep.Targets) != 2 {
		t.Fatalf("no change: code %d, %+v\n%s", code, rep, errb)
	}

	// A refactor of the pads keeps the geometry; it reaches the chip only.
	editPDK(t, dir, "mypdk/components/pads.py", "h = size / 2", "h = 0.5 * size")
	code, rep, errb = checkJSON(t, dir)
	got := targetsOf(rep)
	if code != exitOK || !got["chip"].Built || got["mmi"].Built || got["chip"].Status != pipeline.CheckSame {
		t.Fatalf("refactor: code %d, %+v\n%s", code, got, errb)
	}

	// A width edit: the MMI is renamed with its parameter and both targets
	// differ, by the area KLayout's own XOR of the two layouts gives.
	editPDK(t, dir, "mypdk/components/mmi.py", "width_mmi: float = 2.5", "width_mmi: float = 6")
	code, rep, errb = checkJSON(t, dir)
	got = targetsOf(rep)
	if code != exitFail || got["chip"].Status != pipeline.CheckDifferent || got["mmi"].Status != pipeline.CheckDifferent {
		t.Fatalf("width edit: code %d, %+v\n%s", code, got, errb)
	}
	d := got["chip"].Diff
	if len(d.Cells) != 1 || d.Cells[0].Name != mmiNew || d.Cells[0].RenamedFrom != mmiOld {
		t.Fatalf("width edit: cells %+v", d.Cells)
	}

	// --update accepts them, and says what it accepted; then the check
	// passes.
	oldRef := filepath.Join(t.TempDir(), "chip.gds")
	writeFile(t, oldRef, string(mustRead(t, filepath.Join(dir, "tests/ref/chip.gds"))))
	oldMMI := filepath.Join(t.TempDir(), "mmi.gds")
	writeFile(t, oldMMI, string(mustRead(t, filepath.Join(dir, "tests/ref/mmi.gds"))))
	code, out, errb := runCmd(t, "check", "--config", filepath.Join(dir, "lywatch.toml"), "--update", "--artifacts", filepath.Join(dir, "art"))
	for _, w := range []string{
		"chip: built, written to tests/ref/chip.gds (the new reference)",
		"~ cell " + mmiNew + " modified (renamed from " + mmiOld + ", made by mmi1x2)",
		"layer 1/0: XOR 19.25 µm² (+19.25 -0), 2 polygons, box (10,-3;15.5,3)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("--update: missing %q", w)
		}
	}
	if code != exitOK || t.Failed() {
		t.Fatalf("--update: code %d\n%s%s", code, out, errb)
	}
	for _, f := range []string{"art/report.json", "art/chip/xor.gds", "art/mmi/" + mmiNew + ".png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("artifacts: %v", err)
		}
	}
	// The areas are those of KLayout's own XOR of the two layouts: the
	// old reference and the new one.
	oracle := klayoutXOR(t, oldRef, mmiOld, filepath.Join(dir, "tests/ref/chip.gds"), mmiNew)
	if len(d.Cells[0].Layers) != len(oracle) {
		t.Errorf("layers %+v, KLayout's XOR: %v", d.Cells[0].Layers, oracle)
	}
	for _, l := range d.Cells[0].Layers {
		if o := oracle[l.String()]; math.Abs(o-l.Area) > 1e-6 || o == 0 {
			t.Errorf("layer %s: area %g, KLayout's XOR of the two layouts: %g", l, l.Area, o)
		}
	}
	if code, rep, errb = checkJSON(t, dir); code != exitOK {
		t.Fatalf("after --update: code %d, %+v\n%s", code, rep, errb)
	}

	// --reference FILE beats the configured reference: the MMI differs
	// from its reference of before the width edit, and is the same as a
	// copy of the one --update accepted.
	code, rep, errb = checkJSON(t, dir, "--target", "mmi", "--reference", oldMMI)
	if tc := targetsOf(rep)["mmi"]; code != exitFail || tc.Status != pipeline.CheckDifferent || tc.Reference != oldMMI || tc.Diff == nil {
		t.Errorf("--reference the old MMI: code %d, %+v\n%s", code, tc, errb)
	}
	newMMI := filepath.Join(t.TempDir(), "mmi.gds")
	writeFile(t, newMMI, string(mustRead(t, filepath.Join(dir, "tests/ref/mmi.gds"))))
	code, rep, errb = checkJSON(t, dir, "--target", "mmi", "--reference", newMMI)
	if tc := targetsOf(rep)["mmi"]; code != exitOK || tc.Status != pipeline.CheckSame || tc.Reference != newMMI || len(rep.Targets) != 1 {
		t.Errorf("--reference a copy of the accepted MMI: code %d, %+v\n%s", code, rep.Targets, errb)
	}

	// A broken factory: exit 2, and the traceback.
	editPDK(t, dir, "mypdk/components/pads.py", "h = 0.5 * size", "h = 0.5 * size\n    raise ValueError('pad too small: %g' % size)")
	code, rep, errb = checkJSON(t, dir, "--target", "chip")
	if code != exitError || targetsOf(rep)["chip"].Status != pipeline.CheckFailed ||
		!strings.Contains(errb, "Traceback") || !strings.Contains(errb, "ValueError: pad too small: 80") ||
		!strings.Contains(rep.BuildOutput, "ValueError: pad too small") {
		t.Fatalf("broken factory: code %d, %+v\n%s", code, rep, errb)
	}
}

// waitKLayout waits for cond like waitUntil, with a deadline that leaves
// room for KLayout builds on a machine shared with other work.
func waitKLayout(t *testing.T, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	waitFor(t, 2*time.Minute, what, cond, detail...)
}

// klayoutXOR is KLayout's own XOR of cell ca of a and cell cb of b, both
// flattened: the area per layer in square micrometres.
func klayoutXOR(t *testing.T, a, ca, b, cb string) map[string]float64 {
	t.Helper()
	out := testsupport.Batch(t, `
import json, pya
la, lb = pya.Layout(), pya.Layout()
la.read(a); lb.read(b)
A, B = la.cell(ca), lb.cell(cb)
res = {}
for l, d in sorted(set((i.layer, i.datatype) for ly in (la, lb) for i in ly.layer_infos())):
    x = pya.Region(A.begin_shapes_rec(la.layer(l, d))) ^ pya.Region(B.begin_shapes_rec(lb.layer(l, d)))
    if not x.is_empty():
        res["%d/%d" % (l, d)] = x.area() * lb.dbu * lb.dbu
print(json.dumps(res))
`, map[string]string{"a": a, "b": b, "ca": ca, "cb": cb})
	var res map[string]float64
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), &res); err != nil {
		t.Fatalf("KLayout's XOR %q: %v", out, err)
	}
	return res
}

// TestCheckErrors: what cannot be checked says why, with exit 2.
func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, filepath.Join(dir, "lywatch.toml"), "[[targets]]\nname = \"a\"\ncommand = [\"true\"]\noutput = \"a.gds\"\n[[targets]]\nname = \"b\"\ncommand = [\"true\"]\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--target", "c"}, `no target "c" (the project has a, b)`},
		{[]string{"--reference", "x.gds"}, "--reference names the reference of one target"},
		{[]string{"--tolerance", "-1"}, "--tolerance -1"},
		{[]string{"--target", "a"}, "the build did not write the output it was redirected to"},
	} {
		code, out, errb := runCmd(t, append([]string{"check"}, tt.args...)...)
		if code != exitError || !strings.Contains(out+errb, tt.want) {
			t.Errorf("check %v: code %d, want 2 and %q:\n%s%s", tt.args, code, tt.want, out, errb)
		}
	}
}

// TestCheckSessionBesideALiveLoop: check --session answers from the
// session and the graph while a live loop holds the session in the same
// checkout: up to date after the loop's build, stale (with the chain from
// the edit) while the loop's build of an edit has not finished, and up to
// date again once it has.
func TestCheckSessionBesideALiveLoop(t *testing.T) {
	testsupport.KLayout(t)
	dir := testsupport.CopyPDK(t)
	t.Setenv("NO_COLOR", "1")
	t.Chdir(dir)
	gate := filepath.Join(t.TempDir(), "gate")
	writeFile(t, gate, "")
	writeFile(t, filepath.Join(dir, "lywatch.toml"), `[[targets]]
name = "chip"
command = ["sh", "-c", "while [ ! -e '`+gate+`' ]; do sleep 0.01; done; klayout -b -r build.py -rd out=build/chip.gds"]
output = "build/chip.gds"
entry = ["build.py"]
`)
	r := startRun(t, dir, []string{"--no-push", "--debounce", "5ms"})
	manifest := filepath.Join(dir, "build/session/targets/chip/manifest.json")
	waitKLayout(t, "the loop's first save", func() bool { return strings.Contains(r.out.String(), "→ save") }, r.out.String, r.errb.String)
	code, out, errb := runCmd(t, "check", "--session")
	if code != exitOK || !strings.Contains(out, "chip: up to date") {
		t.Fatalf("after the loop's build: code %d\n%s%s", code, out, errb)
	}
	// The next build waits at the gate: the session is stale meanwhile.
	os.Remove(gate)
	saved := mustRead(t, manifest)
	editPDK(t, dir, "mypdk/components/pads.py", "OPENING_INSET = 5.0", "OPENING_INSET = 6.0")
	code, out, errb = runCmd(t, "check", "--session")
	for _, w := range []string{"chip: stale (1 file changed since its last good build)",
		"mypdk/components/pads.py: ", "-> target chip"} {
		if !strings.Contains(out, w) {
			t.Errorf("while the loop builds: missing %q", w)
		}
	}
	if code != exitFail || t.Failed() {
		t.Fatalf("while the loop builds: code %d\n%s%s", code, out, errb)
	}
	var sc pipeline.SessionCheck
	if _, js, _ := runCmd(t, "check", "--session", "--json"); json.Unmarshal([]byte(js), &sc) != nil || !sc.Stale() || len(sc.Targets[0].Chain) < 2 {
		t.Errorf("--json: %s", js)
	}
	writeFile(t, gate, "")
	// The summary line comes once the save is done (the manifest is
	// written before the layout is put in place).
	waitKLayout(t, "the loop's save of the edit", func() bool { return strings.Count(r.out.String(), "→ save") == 2 }, r.out.String, r.errb.String)
	if bytes.Equal(mustRead(t, manifest), saved) {
		t.Fatal("the loop's second build saved nothing")
	}
	if code, out, errb = runCmd(t, "check", "--session"); code != exitOK || !strings.Contains(out, "chip: up to date") {
		t.Fatalf("after the loop's second build: code %d\n%s%s", code, out, errb)
	}
	// The whole check runs beside the loop too, reading its session.
	saved = mustRead(t, manifest)
	if code, out, errb = runCmd(t, "check"); code != exitOK || !strings.Contains(out, "chip: from the session, no reference layout") {
		t.Errorf("check beside the loop: code %d\n%s%s", code, out, errb)
	}
	if !bytes.Equal(mustRead(t, manifest), saved) {
		t.Error("check wrote the loop's session")
	}
	r.stop()
}
