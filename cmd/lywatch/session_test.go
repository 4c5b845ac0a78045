package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/session"
)

// sessionProject makes a project root with .git, two sources and a small
// layout, and makes it the current directory.
func sessionProject(t *testing.T) (root, layout string) {
	t.Helper()
	root = t.TempDir()
	for name, content := range map[string]string{
		".git/HEAD":       "ref: refs/heads/main\n",
		"pdk/helpers.py":  "def width(): return 0.5\n",
		"pdk/straight.py": "from .helpers import width\n\n\ndef cell(f):\n    return f\n\n\n@cell\ndef straight():\n    return width()\n",
	} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	box := gds.Shape{Kind: gds.Boundary, Layer: 1, XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 0}, {X: 0, Y: 0}}}
	lib := &gds.Library{Name: "LIB", Version: 600, UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{
		{Name: "straight", Shapes: []gds.Shape{box}},
		{Name: "TOP", Refs: []gds.Ref{{Name: "straight"}}},
		{Name: "OTHER", Shapes: []gds.Shape{box}},
	}}
	layout = filepath.Join(root, "out.gds")
	if err := gds.WriteFile(layout, lib); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	return root, layout
}

// saveChip saves a session for target chip as the live loop does: one
// good build (copying the layout into place), read, hashed and saved with
// its dependency graph.
func saveChip(t *testing.T, root, layout string) {
	t.Helper()
	lw := filepath.Join(root, "lywatch.toml")
	toml := "[[targets]]\nname = \"chip\"\noutput = \"build/chip.gds\"\ncommand = [\"sh\", \"-c\", \"mkdir -p build && cp " + layout + " build/chip.gds\"]\n"
	if err := os.WriteFile(lw, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCmd(t, "--once", "--no-push", "--no-color"); code != exitOK {
		t.Fatalf("the build that saves the session: %d\n%s\n%s", code, out, errs)
	}
}

func TestSessionShow(t *testing.T) {
	root, layout := sessionProject(t)
	code, out, errs := runCmd(t, "session", "show", "--no-color")
	if code != exitOK || !strings.Contains(out, "no saved targets") {
		t.Fatalf("empty session: %d %q %q", code, out, errs)
	}
	saveChip(t, root, layout)
	code, out, _ = runCmd(t, "session", "show", "--no-color")
	if code != exitOK || !strings.Contains(out, "chip  valid") || !strings.Contains(out, "straight (straight)") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	if err := os.WriteFile(filepath.Join(root, "pdk/helpers.py"), []byte("def width(): return 0.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "session", "show", "--json")
	var st pipeline.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != exitOK {
		t.Fatalf("show --json: %d %v\n%s", code, err, out)
	}
	if len(st.Targets) != 1 || st.Targets[0].State != "stale" || len(st.Targets[0].Changed) != 1 ||
		st.Targets[0].Changed[0].Path != "pdk/helpers.py" || st.Targets[0].Stale == nil ||
		strings.Join(st.Targets[0].Stale.Factories, ",") != "straight" || strings.Join(st.Targets[0].Stale.Cells, ",") != "TOP,straight" {
		t.Errorf("stale session: %+v %+v", st.Targets, st.Targets[0].Stale)
	}
	code, out, _ = runCmd(t, "session", "show", "--no-color")
	if code != exitOK || !strings.Contains(out, "chip  stale") || !strings.Contains(out, "modified pdk/helpers.py") {
		t.Errorf("show of a stale session:\n%s", out)
	}
}

func TestSessionSaveCellAndClear(t *testing.T) {
	root, layout := sessionProject(t)
	saveChip(t, root, layout)
	code, out, errs := runCmd(t, "session", "save", "--cell", "TOP")
	if code != exitOK || !strings.Contains(out, "saved chip: 2 cells under TOP") {
		t.Fatalf("save --cell: %d %q %q", code, out, errs)
	}
	lib, err := gds.ReadFile(filepath.Join(root, "build/session/targets/chip/cells.gds.gz"))
	if err != nil || len(lib.Cells) != 2 || lib.Cell("OTHER") != nil {
		t.Fatalf("stored layout after save --cell: %v", err)
	}
	if code, _, errs := runCmd(t, "session", "save"); code != exitError || !strings.Contains(errs, "--cell") {
		t.Errorf("save without --cell: %d %q", code, errs)
	}
	// A running lywatch holds the lock: save and clear refuse, naming it.
	s, err := session.Open(session.DefaultDir(root), session.Options{Root: root, Args: []string{"lywatch", "--", "make"}})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCmd(t, "session", "clear")
	s.Close()
	if code != exitError || !strings.Contains(errs, "in use by another lywatch: pid ") || !strings.Contains(errs, "lywatch -- make") {
		t.Errorf("clear while locked: %d %q", code, errs)
	}
	code, out, _ = runCmd(t, "session", "clear")
	if code != exitOK || !strings.Contains(out, "cleared every target") {
		t.Fatalf("clear: %d %q", code, out)
	}
	if _, out, _ := runCmd(t, "session", "show"); !strings.Contains(out, "no saved targets") {
		t.Errorf("show after clear:\n%s", out)
	}
}

func TestSessionDirFromEnvAndFlag(t *testing.T) {
	root, layout := sessionProject(t)
	saveChip(t, root, layout) // into build/session
	t.Setenv(session.EnvDir, filepath.Join(root, "elsewhere"))
	if _, out, _ := runCmd(t, "session", "show"); !strings.Contains(out, "no saved targets") || !strings.Contains(out, "elsewhere") {
		t.Errorf("%s ignored:\n%s", session.EnvDir, out)
	}
	if _, out, _ := runCmd(t, "session", "show", "--no-color", "--session-dir", "build/session"); !strings.Contains(out, "chip  valid") {
		t.Errorf("--session-dir ignored:\n%s", out)
	}
}

func TestSessionHash(t *testing.T) {
	root, _ := sessionProject(t)
	code, out, errs := runCmd(t, "session", "hash", "pdk/helpers.py", filepath.Join(root, "pdk/straight.py"))
	if code != exitOK {
		t.Fatalf("hash: %d %q", code, errs)
	}
	for _, name := range []string{"pdk/helpers.py", "pdk/straight.py"} {
		b, _ := os.ReadFile(filepath.Join(root, name))
		sum := sha256.Sum256(b)
		if !strings.Contains(out, hex.EncodeToString(sum[:])+"  ") {
			t.Errorf("hash of %s missing from:\n%s", name, out)
		}
	}
	if code, _, _ := runCmd(t, "session", "nope"); code != exitError {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}

func TestSessionDirFromConfig(t *testing.T) {
	root, _ := sessionProject(t)
	if err := os.WriteFile(filepath.Join(root, "lywatch.toml"), []byte("session_dir = \"build/sess\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "pdk")
	t.Chdir(sub)
	code, out, errs := runCmd(t, "session", "show")
	if code != exitOK || !strings.Contains(out, "session "+filepath.Join(root, "build", "sess")+" (root "+root+")") {
		t.Errorf("session_dir from lywatch.toml ignored: %d %q %q", code, out, errs)
	}
}
