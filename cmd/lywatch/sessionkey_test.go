package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pythonShim writes a fake python3 into a directory of its own: asked for
// its version (lywatch's probe) it says version and lists site as its
// site-packages; run on a script, it does the build: copies $SRC into
// build/chip.gds and logs the build.
func pythonShim(t *testing.T, version, site string) string {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = "-c" ]; then
  echo 'LYWATCH-PROBE {"version": "%s", "exe": "%s/python3", "site": ["%s"]}'
  exit 0
fi
mkdir -p "$(dirname "$LYWATCH_OUTPUT")" && cp "$SRC" "$LYWATCH_OUTPUT" && echo built >> "$BUILDLOG"
`, version, dir, site)
	if err := os.WriteFile(filepath.Join(dir, "python3"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// klayoutShim writes a fake klayout at dir/klayout: asked for its version
// (-v, --version) it says "KLayout version"; run on lywatch's probe script
// (klayout -b -r lywatch-probe-*.py) it prints the probe's line, with
// Python 3.11.0 and site as its site-packages; run on another script, it
// does the build as pythonShim's does. It returns the shim's path.
func klayoutShim(t *testing.T, dir, version, site string) string {
	t.Helper()
	script := fmt.Sprintf(`#!/bin/sh
case "$1" in
-v|--version) echo "KLayout %s"; exit 0 ;;
esac
case "$3" in
*lywatch-probe-*) echo 'LYWATCH-PROBE {"version": "3.11.0", "exe": "%s/klayout", "site": ["%s"]}'; exit 0 ;;
esac
mkdir -p "$(dirname "$LYWATCH_OUTPUT")" && cp "$SRC" "$LYWATCH_OUTPUT" && echo built >> "$BUILDLOG"
`, version, dir, site)
	p := filepath.Join(dir, "klayout")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 11, the session key: a session serves a target only when its
// command, working directory, output, interpreter, LYWATCH_* settings and
// imported packages are what its layout was built with; otherwise lywatch
// says why and builds.
func TestSessionKey(t *testing.T) {
	dir, _, log, rec := fresh(t)
	site := t.TempDir()
	writeFile(t, mkdirs(t, filepath.Join(site, "fakepkg-1.0.dist-info", "top_level.txt")), "fakepkg\n")
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "import fakepkg\n\n\n"+restartProject["pdk/helpers.py"])
	py311, py312 := pythonShim(t, "3.11.0", site), pythonShim(t, "3.12.0", site)
	path := os.Getenv("PATH")
	t.Setenv("PATH", py311+string(os.PathListSeparator)+path)
	kldir := t.TempDir()
	kl := klayoutShim(t, kldir, "0.28.17", site)
	// The watched folder and the entry are absolute, so that a run from
	// another directory has the same project and session.
	args := func(output string, cmd ...string) []string {
		return append([]string{"--no-config", "--debounce", "5ms", "--protocol", "lyipc", "--klayout", rec.ln.Addr().String(),
			"--output", filepath.Join(dir, output), "--watch", dir, "--entry", filepath.Join(dir, "pdk/build.py"), "--"}, cmd...)
	}
	build := []string{"python3", "pdk/build.py"}
	klBuild := []string{"klayout", "-b", "-r", "pdk/build.py"}
	sub := filepath.Join(dir, "sub") // another directory of the project
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if code, out, errb := runCmd(t, append([]string{"--once"}, args("build/chip.gds", build...)...)...); code != exitOK {
		t.Fatalf("first build: %d\n%s%s", code, out, errb)
	}
	rec.pushes(300 * time.Millisecond)
	for _, tc := range []struct {
		name  string
		setup func()
		cwd   string // where lywatch runs: "" is the project directory
		args  []string
		why   string
	}{
		{"nothing changed", func() {}, "", args("build/chip.gds", build...), ""},
		{"another command", func() {}, "", args("build/chip.gds", "python3", "pdk/build.py", "-v"), `the command changed (was "python3 pdk/build.py")`},
		{"back to the first command", func() {}, "", args("build/chip.gds", build...), `the command changed (was "python3 pdk/build.py -v")`},
		{"another output", func() {}, "", args("build/other.gds", build...), "the output changed (was build/chip.gds)"},
		{"back to the first output", func() {}, "", args("build/chip.gds", build...), "the output changed (was build/other.gds)"},
		{"another directory", func() {}, sub, args("build/chip.gds", build...), "the build's directory changed (was .)"},
		{"back to the first directory", func() {}, "", args("build/chip.gds", build...), "the build's directory changed (was sub)"},
		{"another interpreter", func() { t.Setenv("PATH", py312+string(os.PathListSeparator)+path) },
			"", args("build/chip.gds", build...), "python3 changed: 3.11.0 (" + filepath.Join(py311, "python3") + ") → 3.12.0 (" + filepath.Join(py312, "python3") + ")"},
		{"a LYWATCH_ setting", func() { t.Setenv("LYWATCH_CORNER", "ss") }, "", args("build/chip.gds", build...), "LYWATCH_CORNER is set now (ss)"},
		{"an upgraded package", func() {
			os.Rename(filepath.Join(site, "fakepkg-1.0.dist-info"), filepath.Join(site, "fakepkg-1.1.dist-info"))
		}, "", args("build/chip.gds", build...), "package fakepkg changed: fakepkg 1.0 → fakepkg 1.1"},
		{"nothing changed since", func() {}, "", args("build/chip.gds", build...), ""},
		{"a KLayout command", func() { t.Setenv("PATH", kldir+string(os.PathListSeparator)+py312+string(os.PathListSeparator)+path) },
			"", args("build/chip.gds", klBuild...), `the command changed (was "python3 pdk/build.py")`},
		{"the same KLayout", func() {}, "", args("build/chip.gds", klBuild...), ""},
		{"KLayout upgraded in place", func() { klayoutShim(t, kldir, "0.29.0", site) }, "", args("build/chip.gds", klBuild...),
			"klayout changed: KLayout 0.28.17 / Python 3.11.0 (" + kl + ") → KLayout 0.29.0 / Python 3.11.0 (" + kl + ")"},
		{"the upgraded KLayout again", func() {}, "", args("build/chip.gds", klBuild...), ""},
	} {
		tc.setup()
		before := buildCount(t, log)
		cwd := dir
		if tc.cwd != "" {
			cwd = tc.cwd
		}
		r := startRun(t, cwd, tc.args)
		if tc.why == "" {
			if got := rec.pushes(2 * time.Second); len(got) != 1 {
				t.Errorf("%s: pushes %q, want the cache once", tc.name, got)
			}
		} else {
			waitUntil(t, tc.name+": the build", func() bool { return buildCount(t, log) == before+1 }, r.out.String, r.errb.String)
			waitUntil(t, tc.name+": its summary", func() bool { return strings.Contains(r.out.String(), " ok → ") }, r.out.String)
			rec.pushes(300 * time.Millisecond)
		}
		r.stop()
		out, errs := r.out.String(), r.errb.String()
		switch {
		case tc.why == "" && (buildCount(t, log) != before || !strings.Contains(out, "from the cache")):
			t.Errorf("%s: not served from the cache:\n%s%s", tc.name, out, errs)
		case tc.why != "" && (!strings.Contains(errs, "; rebuilding") || !strings.Contains(errs, tc.why) || !strings.Contains(out, "start-up → "+tc.why)):
			t.Errorf("%s: want a rebuild saying %q:\n%s%s", tc.name, tc.why, out, errs)
		}
	}
}

// Issue 11: sources installed in editable mode from another checkout
// (a .pth file in the interpreter's site-packages) are watched and tracked
// like the project's own: an edit there rebuilds what uses them.
func TestEditableInstallEditRebuilds(t *testing.T) {
	other := t.TempDir()
	writeFile(t, mkdirs(t, filepath.Join(other, "otherpdk", "__init__.py")), "def width():\n    return 1\n")
	site := t.TempDir()
	writeFile(t, filepath.Join(site, "otherpdk.pth"), other+"\n")
	t.Setenv("PATH", pythonShim(t, "3.11.0", site)+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir, _, log, rec := fresh(t)
	writeFile(t, filepath.Join(dir, "pdk/parts.py"), "from otherpdk import width\nfrom pdk.cell import cell\n\n\n@cell\ndef straight():\n    return width()\n\n\n@cell\ndef bend():\n    return 2\n")
	args := []string{"--no-config", "--debounce", "5ms", "--protocol", "lyipc", "--klayout", rec.ln.Addr().String(),
		"--output", filepath.Join(dir, "build", "chip.gds"), "--entry", "pdk/build.py", "--", "python3", "pdk/build.py"}
	r := startRun(t, dir, args)
	waitUntil(t, "the start-up build", func() bool { return buildCount(t, log) == 1 }, r.out.String, r.errb.String)
	waitUntil(t, "its summary", func() bool { return strings.Contains(r.out.String(), " ok → ") }, r.out.String)
	time.Sleep(200 * time.Millisecond) // the graph is loaded and the other checkout watched
	writeFile(t, filepath.Join(other, "otherpdk", "__init__.py"), "def width():\n    return 2\n")
	waitUntil(t, "the build after the edit in the other checkout", func() bool { return buildCount(t, log) == 2 }, r.out.String, r.errb.String)
	waitUntil(t, "its summary", func() bool { return strings.Contains(r.out.String(), "→ 1 factory") }, r.out.String, r.errb.String)
}
