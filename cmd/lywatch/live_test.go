package main

import (
	"slices"

	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/session"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// The restart tests run lywatch on a small Python project whose build copies
// a fixed layout into place and logs one line per build. Pushes go to a
// stand-in lyipc server that records each command, so builds and pushes can
// be counted. (Pushing into a real KLayout is tested in klayout_loop_test.go.)

var restartProject = map[string]string{
	"pdk/__init__.py": "",
	"pdk/helpers.py":  "def width():\n    return 1\n\n\ndef unused():\n    return 0\n",
	"pdk/parts.py": "from pdk.helpers import width\nfrom pdk.cell import cell\n\n\n" +
		"@cell\ndef straight():\n    return width()\n\n\n@cell\ndef bend():\n    return 2\n",
	"pdk/cell.py":  "def cell(f):\n    return f\n",
	"pdk/build.py": "from pdk.parts import straight, bend\n\nstraight()\nbend()\n",
}

// pushRecorder is a stand-in lyipc server: it answers ACK and records what
// it was asked.
type pushRecorder struct {
	ln  net.Listener
	got chan string
}

func newPushRecorder(t *testing.T) *pushRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &pushRecorder{ln: ln, got: make(chan string, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			n, _ := conn.Read(buf)
			r.got <- strings.TrimSpace(string(buf[:n]))
			conn.Write([]byte("ACK ok\r\n"))
			conn.Close()
		}
	}()
	return r
}

// pushes returns what was pushed within wait.
func (r *pushRecorder) pushes(wait time.Duration) []string {
	var out []string
	deadline := time.After(wait)
	for {
		select {
		case s := <-r.got:
			out = append(out, s)
		case <-deadline:
			return out
		}
	}
}

// restartRun is one lywatch process on the project at dir.
type restartRun struct {
	t      *testing.T
	dir    string
	out    testsupport.Buffer
	errb   testsupport.Buffer
	cancel context.CancelFunc
	done   chan int
}

// restartDir writes the restart project into a new directory and returns it
// with the layout its build copies.
func restartDir(t *testing.T) (dir, layout string) {
	t.Helper()
	dir = t.TempDir()
	for name, text := range restartProject {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, tinyGDS(t)
}

// restartBuild is the restart project's build: it copies the layout into
// place and logs the build; with $GATE set, it waits for that file first.
const restartBuild = `if [ -n "$GATE" ]; then while [ ! -e "$GATE" ]; do sleep 0.01; done; fi; mkdir -p build && cp "$SRC" build/chip.gds && echo built >> "$BUILDLOG"`

// lywatchArgs are the flags of a run on dir that pushes to r.
func lywatchArgs(dir, layout string, r *pushRecorder, build string, extra ...string) []string {
	args := []string{"--no-config", "--debounce", "5ms", "--protocol", "lyipc", "--klayout", r.ln.Addr().String(),
		"--output", filepath.Join(dir, "build", "chip.gds"), "--entry", "pdk/build.py"}
	args = append(args, extra...)
	if build == "" {
		build = restartBuild
	}
	return append(args, "--", "sh", "-c", build)
}

// startRun starts lywatch in dir (live, until stop).
func startRun(t *testing.T, dir string, args []string) *restartRun {
	t.Helper()
	t.Chdir(dir)
	ctx, cancel := context.WithCancel(context.Background())
	r := &restartRun{t: t, dir: dir, cancel: cancel, done: make(chan int, 1)}
	go func() { r.done <- run(ctx, args, strings.NewReader(""), &r.out, &r.errb) }()
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *restartRun) stop() int {
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(15 * time.Second):
		r.t.Fatal("lywatch did not stop")
		return -1
	}
}

// buildCount returns the number of builds logged so far.
func buildCount(t *testing.T, log string) int {
	b, _ := os.ReadFile(log)
	return strings.Count(string(b), "built\n")
}

// fresh gives a project with nothing built: its layout to copy, the build
// log and a push recorder, with the build's environment set.
func fresh(t *testing.T) (dir, layout, log string, rec *pushRecorder) {
	t.Helper()
	dir, layout = restartDir(t)
	log = filepath.Join(t.TempDir(), "builds")
	t.Setenv("SRC", layout)
	t.Setenv("BUILDLOG", log)
	t.Setenv("NO_COLOR", "1")
	return dir, layout, log, newPushRecorder(t)
}

// setup gives a project with one good build saved in its session.
func setup(t *testing.T) (dir, layout, log string, rec *pushRecorder) {
	t.Helper()
	dir, layout, log, rec = fresh(t)
	t.Chdir(dir)
	code, out, errb := runCmd(t, append([]string{"--once"}, lywatchArgs(dir, layout, rec, "")[0:]...)...)
	if code != exitOK || !strings.Contains(out, "→ save ") {
		t.Fatalf("first build: code %d\n%s\n%s", code, out, errb)
	}
	if n := buildCount(t, log); n != 1 {
		t.Fatalf("first run built %d times", n)
	}
	rec.pushes(300 * time.Millisecond) // drain the first push
	return dir, layout, log, rec
}

func TestRestartWithNothingChangedPushesTheCache(t *testing.T) {
	dir, layout, log, rec := setup(t)
	for _, edit := range []struct {
		name string
		do   func()
	}{
		{"nothing changed", func() {}},
		{"a comment and blank lines only", func() {
			appendFile(t, filepath.Join(dir, "pdk/parts.py"), "\n# a note for later\n\n")
		}},
		{"the output deleted", func() { os.Remove(filepath.Join(dir, "build", "chip.gds")) }},
	} {
		edit.do()
		r := startRun(t, dir, lywatchArgs(dir, layout, rec, ""))
		got := rec.pushes(2 * time.Second)
		r.stop()
		if n := buildCount(t, log); n != 1 {
			t.Fatalf("%s: restart built (%d builds in all)\n%s", edit.name, n, r.out.String())
		}
		if len(got) != 1 || got[0] != "load "+filepath.Join(dir, "build", "chip.gds") {
			t.Fatalf("%s: pushes %q, want the cached layout once\n%s%s", edit.name, got, r.out.String(), r.errb.String())
		}
		if !strings.Contains(r.out.String(), "session valid → build/chip.gds from the cache, no build") {
			t.Errorf("%s: summary %q", edit.name, r.out.String())
		}
		if b, err := os.ReadFile(filepath.Join(dir, "build", "chip.gds")); err != nil || !bytes.Equal(b, mustRead(t, layout)) {
			t.Errorf("%s: the output is not the cached layout (%v)", edit.name, err)
		}
	}
}

func TestRestartAfterHelperEditRebuildsAndNeverPushesStale(t *testing.T) {
	dir, layout, log, rec := setup(t)
	// A helper in another module changes while lywatch is stopped.
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 2\n\n\ndef unused():\n    return 0\n")
	// The build only finishes when the test says so: nothing may be pushed
	// before it, or the stale cache was shown.
	// (The same command as the first build's: the session records it.)
	gate := filepath.Join(t.TempDir(), "go")
	t.Setenv("GATE", gate)
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, ""))
	if early := rec.pushes(700 * time.Millisecond); len(early) != 0 {
		t.Fatalf("pushed %q before the build finished: the stale cache", early)
	}
	os.WriteFile(gate, nil, 0o644)
	got := rec.pushes(3 * time.Second)
	r.stop()
	if n := buildCount(t, log); n != 2 {
		t.Fatalf("%d builds in all, want 2\n%s", n, r.out.String())
	}
	if len(got) != 1 {
		t.Fatalf("pushes %q, want one after the build", got)
	}
	out := r.out.String()
	if strings.Contains(out, "session valid") || !strings.Contains(out, "1 file changed since the session") ||
		!strings.Contains(out, "→ build ") {
		t.Errorf("summary:\n%s", out)
	}
}

func TestRestartUnusedHelperEditBuildsNothing(t *testing.T) {
	dir, layout, log, rec := setup(t)
	// unused() is referenced by no factory: the cached layout is current.
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 1\n\n\ndef unused():\n    return 42\n")
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, ""))
	got := rec.pushes(2 * time.Second)
	r.stop()
	if n := buildCount(t, log); n != 1 || len(got) != 1 {
		t.Fatalf("builds %d (want 1), pushes %q (want the cache once)\n%s", n, got, r.out.String())
	}
}

func TestRestartInMovedCheckout(t *testing.T) {
	dir, layout, log, rec := setup(t)
	moved := filepath.Join(t.TempDir(), "elsewhere")
	t.Chdir(t.TempDir())
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, moved, lywatchArgs(moved, layout, rec, ""))
	got := rec.pushes(2 * time.Second)
	r.stop()
	if n := buildCount(t, log); n != 1 || len(got) != 1 || !strings.Contains(r.out.String(), "session valid") {
		t.Fatalf("moved checkout: builds %d, pushes %q\n%s%s", n, got, r.out.String(), r.errb.String())
	}
}

func TestSecondLywatchInTheSameCheckoutRefuses(t *testing.T) {
	dir, layout, _, rec := setup(t)
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, ""))
	rec.pushes(1 * time.Second) // the first one is up
	// A second live loop is refused (--once is not: see once_test.go).
	code, _, errb := runCmd(t, lywatchArgs(dir, layout, rec, "")...)
	r.stop()
	if code != exitError || !strings.Contains(errb, "in use by another lywatch: pid ") {
		t.Fatalf("second lywatch: code %d, stderr %q; want a refusal naming the holder", code, errb)
	}
}

func TestFailedBuildSavesNothingAndIsRetried(t *testing.T) {
	dir, layout, log, rec := setup(t)
	manifest := filepath.Join(dir, "build", "session", "targets", "default", "manifest.json")
	before := mustRead(t, manifest)
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 3\n")
	fail := filepath.Join(t.TempDir(), "fail")
	os.WriteFile(fail, nil, 0o644)
	build := `[ ! -e "` + fail + `" ] || exit 7; mkdir -p build && cp "$SRC" build/chip.gds && echo built >> "$BUILDLOG"`
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, build))
	waitUntil(t, "the failed start-up build", func() bool { return strings.Contains(r.out.String(), "failed (exit 7)") })
	if got := rec.pushes(300 * time.Millisecond); len(got) != 0 {
		t.Errorf("a failed build pushed %q", got)
	}
	if !bytes.Equal(mustRead(t, manifest), before) {
		t.Error("a failed build changed the saved session")
	}
	// The fix is elsewhere (the build environment); a comment-only edit
	// changes no code, yet the failed target is still stale and is retried.
	os.Remove(fail)
	appendFile(t, filepath.Join(dir, "pdk/parts.py"), "# retry\n")
	waitUntil(t, "the retried build", func() bool { return buildCount(t, log) == 2 }, r.out.String)
	waitUntil(t, "its push", func() bool { return len(rec.pushes(100*time.Millisecond)) == 1 }, r.out.String)
	r.stop()
	if !strings.Contains(r.out.String(), "retrying the last failed build") {
		t.Errorf("summary:\n%s", r.out.String())
	}
	if bytes.Equal(mustRead(t, manifest), before) {
		t.Error("the good build did not save the session")
	}
}

func TestCorruptSessionWarnsAndRebuilds(t *testing.T) {
	dir, layout, log, rec := setup(t)
	manifest := filepath.Join(dir, "build", "session", "targets", "default", "manifest.json")
	b := mustRead(t, manifest)
	b[len(b)/2] ^= 0x20
	writeFile(t, manifest, string(b))
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, ""))
	waitUntil(t, "the rebuild", func() bool { return buildCount(t, log) == 2 }, r.out.String)
	r.stop()
	if warn := r.errb.String(); strings.Count(warn, "session:") != 1 || !strings.Contains(warn, "manifest") {
		t.Errorf("want one warning line naming the manifest, got:\n%s", warn)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, p, text string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(text)
}

// TestWhyComparesWithTheSession: without --since, 'lywatch why' explains
// staleness against the graph of the session's last good build.
func TestWhyComparesWithTheSession(t *testing.T) {
	dir, _, _, _ := setup(t)
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 5\n\n\ndef unused():\n    return 0\n")
	code, out, errb := runCmd(t, "why", "straight", "--no-color")
	if code != exitOK || !strings.Contains(out, "stale: the chain from the edit:") ||
		!strings.Contains(out, "pdk/helpers.py: def width changed") {
		t.Fatalf("why straight: code %d\n%s%s", code, out, errb)
	}
	code, out, _ = runCmd(t, "why", "bend", "--no-color")
	if code != exitOK || !strings.Contains(out, "up to date: nothing it depends on changed since the session's last good build of default (1 file changed)") {
		t.Fatalf("why bend: code %d\n%s", code, out)
	}
}

// TestWatchElsewhere: lywatch run from another directory with --watch on
// the project scans and tracks the watched tree, and keeps its session
// there.
func TestWatchElsewhere(t *testing.T) {
	dir, layout, log, rec := fresh(t)
	build := `mkdir -p "$OUT" && cp "$SRC" "$OUT/chip.gds" && echo built >> "$BUILDLOG"`
	t.Setenv("OUT", filepath.Join(dir, "build"))
	args := lywatchArgs(dir, layout, rec, build, "--watch", dir)
	for i, a := range args {
		if a == "pdk/build.py" {
			args[i] = filepath.Join(dir, "pdk/build.py")
		}
	}
	r := startRun(t, t.TempDir(), args)
	waitUntil(t, "the start-up build", func() bool { return buildCount(t, log) == 1 && len(rec.pushes(50*time.Millisecond)) == 1 }, r.out.String)
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 9\n")
	waitUntil(t, "the build after the helper edit", func() bool { return buildCount(t, log) == 2 }, r.out.String)
	waitUntil(t, "its summary", func() bool { return strings.Contains(r.out.String(), "pdk/helpers.py changed → 1 factory") }, r.out.String)
	r.stop()
	if _, err := os.Stat(filepath.Join(dir, "build", "session", "targets", "default", "manifest.json")); err != nil {
		t.Errorf("the session is not kept in the watched project: %v\n%s", err, r.out.String())
	}
}

// TestGranularity: editing one factory invalidates it alone by default,
// and every factory of its file with --granularity file (kfactory's rule).
func TestGranularity(t *testing.T) {
	for _, tt := range []struct {
		flag, want string
	}{
		{"function", "pdk/parts.py changed → 1 factory, 0 cells invalidated"},
		{"file", "pdk/parts.py changed → 2 factories, 0 cells invalidated"},
	} {
		t.Run(tt.flag, func(t *testing.T) {
			dir, layout, log, rec := setup(t)
			r := startRun(t, dir, lywatchArgs(dir, layout, rec, "", "--granularity", tt.flag))
			rec.pushes(500 * time.Millisecond)
			parts := strings.Replace(restartProject["pdk/parts.py"], "return 2", "return 3", 1)
			writeFile(t, filepath.Join(dir, "pdk/parts.py"), parts)
			waitUntil(t, "the rebuild", func() bool { return buildCount(t, log) == 2 }, r.out.String)
			waitUntil(t, "its summary", func() bool { return strings.Contains(r.out.String(), tt.want) }, r.out.String)
			r.stop()
		})
	}
}

// TestFirstFailedBuildIsRetriedWithoutSession: with no session, a start-up
// build that fails leaves its target stale, so a later edit that changes
// no code still rebuilds it.
func TestFirstFailedBuildIsRetriedWithoutSession(t *testing.T) {
	dir, layout, log, rec := fresh(t)
	fail := filepath.Join(t.TempDir(), "fail")
	os.WriteFile(fail, nil, 0o644)
	build := `[ ! -e "` + fail + `" ] || exit 5; mkdir -p build && cp "$SRC" build/chip.gds && echo built >> "$BUILDLOG"`
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, build, "--no-session"))
	waitUntil(t, "the failed start-up build", func() bool { return strings.Contains(r.out.String(), "failed (exit 5)") }, r.out.String)
	os.Remove(fail)
	appendFile(t, filepath.Join(dir, "pdk/parts.py"), "# comment\n")
	waitUntil(t, "the retried build", func() bool { return buildCount(t, log) == 1 }, r.out.String)
	r.stop()
	if _, err := os.Stat(filepath.Join(dir, "build", "session")); err == nil {
		t.Error("--no-session wrote a session")
	}
}

// twoTargets writes a project with targets lib and chip, chip placing
// lib's top cell (TOP), each logging its builds to log; chipUses is the
// factory chip's entry calls, chipFirst lists chip first in the
// configuration.
func twoTargets(t *testing.T, chipUses string, chipFirst bool) (dir, log string) {
	t.Helper()
	dir, lib := restartDir(t)
	chip := filepath.Join(t.TempDir(), "chip.gds")
	top := &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{
		{Name: "CHIP", Refs: []gds.Ref{{Name: "TOP"}}},
		{Name: "TOP", Shapes: []gds.Shape{{Kind: gds.Boundary, Layer: 1, XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: 10}, {X: 10, Y: 10}, {X: 0, Y: 0}}}}},
	}}
	if err := gds.WriteFile(chip, top); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "pdk/lib.py"), "from pdk.parts import straight\n\nstraight()\n")
	writeFile(t, filepath.Join(dir, "pdk/chipbuild.py"), "from pdk.parts import "+chipUses+"\n\n"+chipUses+"()\n")
	log = filepath.Join(t.TempDir(), "builds")
	libT := `
[[targets]]
name = "lib"
command = ["sh", "-c", "mkdir -p build && cp '` + lib + `' build/lib.gds && echo lib >> '` + log + `'"]
output = "build/lib.gds"
entry = ["pdk/lib.py"]
`
	chipT := `
[[targets]]
name = "chip"
command = ["sh", "-c", "mkdir -p build && cp '` + chip + `' build/chip.gds && echo chip >> '` + log + `'"]
output = "build/chip.gds"
entry = ["pdk/chipbuild.py"]
`
	toml := libT + chipT
	if chipFirst {
		toml = chipT + libT
	}
	writeFile(t, filepath.Join(dir, "lywatch.toml"), toml)
	return dir, log
}

// TestTargetsUsingOthersLayouts: the session records which target's layout
// uses which others' (chip embeds lib's top cell), and at start-up a target
// whose used target changed is rebuilt with it, though no edit reaches its
// own entry.
func TestTargetsUsingOthersLayouts(t *testing.T) {
	dir, log := twoTargets(t, "bend", false)
	t.Setenv("NO_COLOR", "1")
	t.Chdir(dir)
	if code, out, errb := runCmd(t, "--once", "--no-push"); code != exitOK {
		t.Fatalf("first builds: code %d\n%s%s", code, out, errb)
	}
	st, err := session.OpenReadOnly(filepath.Join(dir, "build", "session"), session.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	deps, err := st.LoadDependencies()
	st.Close()
	if err != nil || !slices.Equal(deps["chip"], []string{"lib"}) || len(deps["lib"]) != 0 {
		t.Fatalf("dependencies %v, %v; want chip using lib", deps, err)
	}
	// straight is used by lib's entry only.
	parts := strings.Replace(restartProject["pdk/parts.py"], "return width()", "return width() + 1", 1)
	writeFile(t, filepath.Join(dir, "pdk/parts.py"), parts)
	r := startRun(t, dir, []string{"--no-push", "--debounce", "5ms"})
	waitUntil(t, "both targets rebuilt", func() bool {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "lib\n") == 2 && strings.Count(string(b), "chip\n") == 2
	}, r.out.String, r.errb.String)
	r.stop()
	if !strings.Contains(r.errb.String(), "chip uses the layout of lib, which changed") {
		t.Errorf("no word of why chip was rebuilt:\n%s", r.errb.String())
	}
}
