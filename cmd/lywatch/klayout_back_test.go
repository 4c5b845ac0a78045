package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// Issue 12, in the live loop with a real KLayout: a failed build says so
// in KLayout's status bar while the last good layout stays; a KLayout
// restarted while lywatch waits is shown the last good layout at once,
// with no edit.
func TestLoopNotesFailuresAndShowsARestartedKLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real KLayout")
	}
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro()})
	t.Setenv(ipc.TokenEnv, g.Token)
	t.Setenv("XDG_CACHE_HOME", g.CacheDir) // where the server writes its discovery file
	c := &ipc.Client{Addr: g.Addr, Token: g.Token}
	dir, _, log, _ := fresh(t)
	out := filepath.Join(dir, "build", "chip.gds")
	fail := filepath.Join(t.TempDir(), "fail")
	build := `if [ -e "` + fail + `" ]; then echo 'ZeroDivisionError: division by zero' >&2; exit 1; fi; ` + restartBuild
	lyp := filepath.Join(testsupport.Root(t), "testdata", "pdk", "mypdk", "layers.lyp")
	args := []string{"--no-config", "--debounce", "5ms", "--klayout", g.Addr, "--layer-properties", lyp,
		"--output", out, "--entry", "pdk/build.py", "--", "sh", "-c", build}
	r := startRun(t, dir, args)
	st := klWaitStatus(t, c, "the first layout", r.out.String, func(st *ipc.Status) bool { return st.File == out })
	// The PDK's layer properties (layer_properties) name the layers.
	named := false
	for _, l := range st.Layers {
		named = named || l.Layer == "1/0" && l.Name == "WG"
	}
	if !named {
		t.Errorf("layer 1/0 is not named WG after the PDK's .lyp: %+v", st.Layers)
	}

	writeFile(t, fail, "")
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 5\n\n\ndef unused():\n    return 0\n")
	st = klWaitStatus(t, c, "the note of the failed build", r.out.String, func(st *ipc.Status) bool {
		return strings.Contains(st.Note, "ZeroDivisionError: division by zero")
	})
	if st.File != out || !strings.Contains(st.Note, "failed") {
		t.Errorf("after a failed build KLayout shows %s with the note %q", st.File, st.Note)
	}

	builds := buildCount(t, log)
	g.Restart()
	klWaitStatus(t, c, "the last good layout in the restarted KLayout", r.out.String, func(st *ipc.Status) bool { return st.File == out })
	if n := buildCount(t, log); n != builds {
		t.Errorf("the restarted KLayout was shown the layout through %d more builds; want none", n-builds)
	}
	if !strings.Contains(r.errb.String(), "showed build/chip.gds again") {
		t.Errorf("no line saying the layout was shown again:\n%s", r.errb.String())
	}
}
