package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Regression tests for the defects issue 10 lists, found by using lywatch
// as a new user would. Each failed before the pipeline moved out of main.

// Defect 1: LYWATCH_TARGET is the build's target name; inside a named
// target's build, `lywatch push` must not take it for KLayout's address.
func TestPushInsideANamedTargetsBuild(t *testing.T) {
	file := tinyGDS(t)
	t.Setenv("LYWATCH_TARGET", "chip")
	t.Setenv(EnvKLayout, "127.0.0.1:1") // nothing listens there
	code, _, errb := runCmd(t, "push", file, "--no-color")
	if code != exitFail || strings.Contains(errb, "want HOST:PORT") || !strings.Contains(errb, "no KLayout listening on 127.0.0.1:1") {
		t.Errorf("push inside a build of target chip: code %d, stderr %q; want the address from $%s", code, errb, EnvKLayout)
	}
}

// Defect 2: targets build in the order their layouts need, not in
// configuration order: chip, listed first, places lib's top cell, so an
// edit both use builds lib first.
func TestLiveTargetOrderFollowsLayouts(t *testing.T) {
	dir, log := twoTargets(t, "straight", true)
	t.Setenv("NO_COLOR", "1")
	r := startRun(t, dir, []string{"--no-push", "--debounce", "5ms"})
	waitUntil(t, "the start-up builds", func() bool { return len(readLines(log)) == 2 }, r.out.String, r.errb.String)
	waitUntil(t, "their summaries", func() bool { return strings.Count(r.out.String(), " ok → build/") == 2 }, r.out.String)
	parts := strings.Replace(restartProject["pdk/parts.py"], "return width()", "return width() + 1", 1)
	writeFile(t, filepath.Join(dir, "pdk/parts.py"), parts)
	waitUntil(t, "both rebuilt", func() bool { return len(readLines(log)) == 4 }, r.out.String, r.errb.String)
	r.stop()
	if got := readLines(log)[2:]; strings.Join(got, ",") != "lib,chip" {
		t.Errorf("after the edit built %v; want lib before chip, whose layout places lib's top cell", got)
	}
}

func readLines(p string) []string {
	b, err := os.ReadFile(p)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Defect 3: `lywatch graph` and `why` read the graph keys of the
// configuration as the loop does: decorators (the factories are made by
// @mycell), python_roots (lib/ is the import root, so chips.py's
// `from pdk.parts import bend` resolves), exclude (lib/pdk/scratch holds
// no factory the graph knows) and granularity (with "file", an edit to
// straight makes taper, in the same file, stale).
func TestGraphReadsTheConfiguration(t *testing.T) {
	dir := t.TempDir()
	parts := "def mycell(f):\n    return f\n\n\n@mycell\ndef straight():\n    return 1\n\n\n" +
		"@mycell\ndef bend():\n    return straight()\n\n\n@mycell\ndef taper():\n    return 3\n"
	for name, text := range map[string]string{
		".git/HEAD": "",
		"lywatch.toml": "decorators = [\"mycell\"]\ncommand = \"true\"\npython_roots = [\"lib\"]\n" +
			"exclude = [\"lib/pdk/scratch/**\"]\ngranularity = \"file\"\n",
		"lib/pdk/__init__.py":     "",
		"lib/pdk/parts.py":        parts,
		"lib/pdk/chips.py":        "from pdk.parts import mycell, bend\n\n\n@mycell\ndef chip():\n    return bend()\n",
		"lib/pdk/scratch/junk.py": "from pdk.parts import mycell\n\n\n@mycell\ndef junk():\n    return 0\n",
	} {
		writeFile(t, mkdirs(t, filepath.Join(dir, name)), text)
	}
	t.Chdir(filepath.Join(dir, "lib", "pdk"))
	code, out, errb := runCmd(t, "graph", "--json", "--save", filepath.Join(dir, "snap.json"))
	if code != exitOK {
		t.Fatalf("graph: %d %s", code, errb)
	}
	var g graphJSON
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatal(err)
	}
	var factories []string
	for _, nd := range g.Nodes {
		if nd.Kind == "factory" {
			factories = append(factories, nd.Name)
		}
	}
	slices.Sort(factories)
	if want := []string{"pdk.chips.chip", "pdk.parts.bend", "pdk.parts.straight", "pdk.parts.taper"}; !slices.Equal(factories, want) {
		t.Errorf("graph found the factories %q; want %q (decorators, python_roots and exclude of lywatch.toml)", factories, want)
	}
	for _, f := range g.Files {
		if strings.Contains(f.Path, "scratch") {
			t.Errorf("graph scanned %s, which exclude names", f.Path)
		}
	}
	tests := []struct {
		name, arg, want string
		code            int
	}{
		{"decorators", "bend", "factory bend", exitOK},
		{"python_roots", "chip", "uses       factory bend (pdk.parts.bend)", exitOK},
		{"exclude", "junk", `named "junk"`, exitError},
	}
	for _, tc := range tests {
		code, out, errb := runCmd(t, "why", tc.arg, "--no-color")
		if code != tc.code || !strings.Contains(out+errb, tc.want) {
			t.Errorf("%s: why %s: %d, want %d and %q in\n%s%s", tc.name, tc.arg, code, tc.code, tc.want, out, errb)
		}
	}
	writeFile(t, filepath.Join(dir, "lib/pdk/parts.py"), strings.Replace(parts, "return 1", "return 2", 1))
	code, out, errb = runCmd(t, "why", "taper", "--since", filepath.Join(dir, "snap.json"), "--no-color")
	if code != exitOK || !strings.Contains(out, "stale: the chain from the edit") {
		t.Errorf("granularity: why taper after an edit to straight, in the same file: %d\n%s%s", code, out, errb)
	}
}

func mkdirs(t *testing.T, p string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Defects 4 and 5: run from the repository root, where the project is a
// folder below it with no configuration file, `why` sees the project the
// loop watched; and `session show` marks stale what the loop's graph says,
// not every factory of the session.
func TestWhyAndSessionShowFromTheRepositoryRoot(t *testing.T) {
	repo := t.TempDir()
	writeFile(t, mkdirs(t, filepath.Join(repo, ".git/HEAD")), "")
	sub := filepath.Join(repo, "examples", "pdk")
	for name, text := range restartProject {
		writeFile(t, mkdirs(t, filepath.Join(sub, name)), text)
	}
	t.Setenv("SRC", tinyGDS(t))
	t.Setenv("NO_COLOR", "1")
	t.Chdir(sub)
	if code, out, errb := runCmd(t, "--once", "--no-push", "--output", "build/chip.gds", "--", "sh", "-c", `mkdir -p build && cp "$SRC" build/chip.gds`); code != exitOK {
		t.Fatalf("the build: %d\n%s\n%s", code, out, errb)
	}
	writeFile(t, filepath.Join(sub, "pdk/helpers.py"), "def width():\n    return 2\n\n\ndef unused():\n    return 0\n")
	for _, cwd := range []string{repo, sub, filepath.Join(sub, "pdk")} {
		t.Chdir(cwd)
		code, out, errb := runCmd(t, "why", "straight", "--no-color")
		if code != exitOK || !strings.Contains(out, "stale: the chain from the edit") || !strings.Contains(out, "pdk/helpers.py: def width changed") ||
			strings.Contains(out, "file deleted") {
			t.Errorf("why straight from %s: %d\n%s%s", cwd, code, out, errb)
		}
		code, out, _ = runCmd(t, "why", "bend", "--no-color")
		if code != exitOK || !strings.Contains(out, "up to date:") {
			t.Errorf("why bend from %s (bend does not use width): %d\n%s", cwd, code, out)
		}
	}
	t.Chdir(repo)
	code, out, errb := runCmd(t, "session", "show", "--no-color")
	if code != exitOK || !strings.Contains(out, "stale factories: straight\n") {
		t.Errorf("session show after an edit reaching straight alone: %d\n%s%s", code, out, errb)
	}
}

// Defect 6: a mistyped subcommand is an error naming the closest one, not
// a build command; `lywatch -- CMD` still runs CMD.
func TestMistypedSubcommand(t *testing.T) {
	t.Chdir(t.TempDir())
	done := make(chan struct{})
	var code int
	var errb string
	go func() { code, _, errb = runCmd(t, "stauts"); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("lywatch stauts is watching instead of saying it is no command")
	}
	if code != exitError || !strings.Contains(errb, `unknown command "stauts"`) || !strings.Contains(errb, "lywatch klayout status") {
		t.Errorf("lywatch stauts: code %d, stderr %q", code, errb)
	}
	if code, _, errb := runCmd(t, "--once", "--no-push", "--no-session", "--", "true"); code != exitOK {
		t.Errorf("lywatch -- true: code %d %s", code, errb)
	}
}

// Defect 8: --version works, and `lywatch help CMD` prints what
// `lywatch CMD -h` prints: the full usage, flags written --flag.
func TestHelpAndVersion(t *testing.T) {
	if code, out, _ := runCmd(t, "--version"); code != exitOK || !strings.HasPrefix(out, "lywatch ") {
		t.Errorf("--version: %d %q", code, out)
	}
	for _, cmd := range []string{"push", "graph", "why", "version", "history", "replay", "check",
		"klayout install", "klayout start", "klayout list", "klayout status", "klayout stop", "klayout token",
		"session show", "session save", "gds info", "gds diff"} {
		words := strings.Fields(cmd)
		code, help, _ := runCmd(t, append([]string{"help"}, words...)...)
		code2, _, dashH := runCmd(t, append(words, "-h")...)
		if code != exitOK || code2 != exitOK || help != dashH || !strings.Contains(help, "lywatch "+cmd) {
			t.Errorf("help %s (%d) and %s -h (%d) differ:\n%s\n---\n%s", cmd, code, cmd, code2, help, dashH)
		}
		if cmd != "version" && (!strings.Contains(help, "\n  --") || regexp.MustCompile(`\n\s+-[a-z][a-z-]+`).MatchString(help)) {
			t.Errorf("help %s does not write flags as --flag:\n%s", cmd, help)
		}
	}
}

// Defect 9: with --no-initial, a comment-only first edit builds nothing,
// and nothing is called a retry of a build that never ran.
func TestNoInitialFirstEdit(t *testing.T) {
	files := map[string]string{"pdk/__init__.py": "", "pdk/a.py": "def cell(f):\n    return f\n\n\n@cell\ndef ring():\n    return 1\n"}
	l := startLive(t, files, logLine, "--no-initial", "--no-session")
	time.Sleep(100 * time.Millisecond) // the watcher is up
	l.write("pdk/a.py", files["pdk/a.py"]+"# a comment\n")
	waitUntil(t, "the summary", func() bool { return strings.Contains(l.out.String(), "pdk/a.py changed") }, l.dump)
	if strings.Contains(l.out.String(), "retrying") || len(l.builds()) != 0 || !strings.Contains(l.out.String(), "no code changed → nothing to rebuild") {
		t.Errorf("a comment-only first edit with --no-initial:\n%s", l.dump())
	}
	l.write("pdk/a.py", strings.Replace(files["pdk/a.py"], "return 1", "return 2", 1))
	waitUntil(t, "the build", func() bool { return len(l.builds()) == 1 }, l.dump)
}
