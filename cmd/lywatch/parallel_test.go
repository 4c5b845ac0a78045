package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/loop"
)

// TestIndependentTargetsInOneSecond: two targets that share nothing, whose
// builds each sleep 1 s, finish their cycle in about 1 s, not 2 (jobs = 2
// in the configuration); each has one summary line, behind its name.
func TestIndependentTargetsInOneSecond(t *testing.T) {
	dir, lib := restartDir(t)
	writeFile(t, filepath.Join(dir, "lywatch.toml"), `
jobs = 2

[[targets]]
name = "a"
command = ["sh", "-c", "sleep 1; mkdir -p build && cp '`+lib+`' build/a.gds"]
output = "build/a.gds"
entry = ["pdk/build.py"]

[[targets]]
name = "b"
command = ["sh", "-c", "sleep 1; mkdir -p build && cp '`+lib+`' build/b.gds"]
output = "build/b.gds"
entry = ["pdk/build.py"]
`)
	t.Setenv("NO_COLOR", "1")
	t.Chdir(dir)
	code, out, errb := runCmd(t, "--once", "--no-push", "--json")
	if code != exitOK {
		t.Fatalf("code %d\n%s%s", code, out, errb)
	}
	var r loop.Report
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil || len(r.Builds) != 2 {
		t.Fatalf("report %q: %v", out, err)
	}
	if d := time.Duration(r.DurationMS * float64(time.Millisecond)); d > 1900*time.Millisecond {
		t.Errorf("the cycle took %s; two 1 s builds side by side take about 1 s", d)
	}
	for _, name := range []string{"a", "b"} {
		n := 0
		for _, l := range strings.Split(errb, "\n") {
			if strings.HasPrefix(l, name+": start-up → build ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d summary lines of %s behind its name, want 1:\n%s", n, name, errb)
		}
	}
}

// TestUserSeesTheLayoutItUses: chip's layout places lib's top cell, so
// when an edit reaches both, chip's build waits for lib's, though two
// builds may run at once, and sees lib's new layout.
func TestUserSeesTheLayoutItUses(t *testing.T) {
	dir, _ := restartDir(t)
	layouts := t.TempDir()
	lib := func(size int32) string {
		p := filepath.Join(layouts, "lib"+string(rune('0'+size/10))+".gds")
		top := &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{{Name: "TOP",
			Shapes: []gds.Shape{{Kind: gds.Boundary, Layer: 1, XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: size}, {X: size, Y: size}, {X: size, Y: 0}, {X: 0, Y: 0}}}}}}}
		if err := gds.WriteFile(p, top); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lib(10)
	lib(20)
	chip := filepath.Join(layouts, "chip.gds")
	if err := gds.WriteFile(chip, &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{
		{Name: "CHIP", Refs: []gds.Ref{{Name: "TOP"}}},
		{Name: "TOP", Shapes: []gds.Shape{{Kind: gds.Boundary, Layer: 1, XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 0}, {X: 0, Y: 0}}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	seen := filepath.Join(layouts, "seen")
	writeFile(t, filepath.Join(dir, "pdk/lib.py"), "from pdk.parts import straight\n\nstraight()\n")
	writeFile(t, filepath.Join(dir, "pdk/chipbuild.py"), "from pdk.parts import straight\n\nstraight()\n")
	// lib takes a while and writes lib1.gds then lib2.gds; chip notes the
	// lib layout it finds.
	writeFile(t, filepath.Join(dir, "lywatch.toml"), `
jobs = 2

[[targets]]
name = "chip"
command = ["sh", "-c", "mkdir -p build && { cksum < build/lib.gds || echo none; } >> '`+seen+`' 2>/dev/null; cp '`+chip+`' build/chip.gds"]
output = "build/chip.gds"
entry = ["pdk/chipbuild.py"]

[[targets]]
name = "lib"
command = ["sh", "-c", "sleep 0.5; mkdir -p build && cp '`+layouts+`/lib'$(( $LYWATCH_CYCLE > 1 ? 2 : 1 ))'.gds' build/lib.gds"]
output = "build/lib.gds"
entry = ["pdk/lib.py"]
`)
	t.Setenv("NO_COLOR", "1")
	r := startRun(t, dir, []string{"--no-push", "--debounce", "5ms"})
	waitUntil(t, "the start-up builds", func() bool { return strings.Count(r.out.String(), " ok → build/") == 2 }, r.out.String, r.errb.String)
	parts := strings.Replace(restartProject["pdk/parts.py"], "return width()", "return width() + 1", 1)
	writeFile(t, filepath.Join(dir, "pdk/parts.py"), parts)
	waitUntil(t, "both rebuilt", func() bool { return strings.Count(r.out.String(), " ok → build/") == 4 }, r.out.String, r.errb.String)
	r.stop()
	b, _ := os.ReadFile(seen)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := cksum(t, filepath.Join(layouts, "lib2.gds"))
	if len(lines) != 2 || lines[1] != want {
		t.Errorf("chip's builds saw lib layouts %q; the second should be lib's new one (%s)", lines, want)
	}
}

// cksum is what cksum prints for a file read on its standard input.
func cksum(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("cksum")
	cmd.Stdin = f
	b, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
