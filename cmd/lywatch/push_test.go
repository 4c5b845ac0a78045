package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// klSmallLayout writes a one-cell layout with KLayout's batch mode.
func klSmallLayout(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "small.gds")
	testsupport.Batch(t, `
import pya
ly = pya.Layout()
top = ly.create_cell("SMALL")
top.shapes(ly.layer(1, 0)).insert(pya.Box(0, 0, 5000, 2000))
ly.write(out)
`, map[string]string{"out": path})
	return path
}

func TestPushUsageAndNoServer(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.gds")
	os.WriteFile(file, []byte("not really"), 0o644)
	addr := testsupport.FreeAddr(t)
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"push"}, exitError, "want one FILE"},
		{[]string{"push", file, "--protocol", "http"}, exitError, "unknown protocol"},
		{[]string{"push", file, "--klayout", "nocolon"}, exitError, "want HOST:PORT"},
		{[]string{"push", filepath.Join(t.TempDir(), "missing.gds")}, exitError, "no such file"},
		{[]string{"push", file, "--klayout", addr}, exitFail, "no KLayout listening on " + addr + ", run 'lywatch klayout start'"},
		{[]string{"push", "--protocol", "klive", file, "--klayout", addr}, exitFail, "no KLayout listening"},
		{[]string{"klayout", "status", "--klayout", addr}, exitFail, "no KLayout listening"},
		{[]string{"klayout"}, exitError, "Usage: lywatch klayout"},
		{[]string{"klayout", "frob"}, exitError, "unknown subcommand"},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.err) {
			t.Errorf("lywatch %q: code %d, stderr %q; want %d containing %q", tt.args, code, stderr, tt.code, tt.err)
		}
	}
}

func TestPushAndStatusWithKLayout(t *testing.T) {
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(), Env: []string{"LYWATCH_LYIPC=1"}})
	t.Setenv(ipc.TokenEnv, g.Token)
	file := klSmallLayout(t, t.TempDir())
	checkStatusKeys(t, g.Addr, 0) // no view yet
	code, out, stderr := runCmd(t, "push", file, "--klayout", g.Addr, "--no-color")
	if code != exitOK || !strings.Contains(out, "pushed small.gds (open, cell SMALL") {
		t.Fatalf("push: code %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, out, _ = runCmd(t, "push", "--protocol", "lyipc", "--klayout", g.Addr, file)
	if code != exitOK || !strings.Contains(out, "via lyipc") {
		t.Errorf("lyipc push: code %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "push", "--json", "--klayout", g.Addr, file)
	var res struct{ Type, File string }
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Type != "reload" || res.File != file {
		t.Errorf("push --json: code %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "klayout", "status", "--json", "--klayout", g.Addr)
	var st ipc.Status
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || st.File != file || st.Cell != "SMALL" {
		t.Errorf("status --json: code %d, %q", code, out)
	}
	checkStatusKeys(t, g.Addr, 1)
	code, out, _ = runCmd(t, "klayout", "status", "--no-color", "--klayout", g.Addr)
	if code != exitOK || !strings.Contains(out, "view 1 of 1: "+file+", cell SMALL") || !strings.Contains(out, "layers: 1 visible") {
		t.Errorf("status: code %d, %q", code, out)
	}
}

// checkStatusKeys runs klayout status --json and checks that every
// documented key is there, lists as lists (issue 10, defect 7: dirty and
// hidden_layers were left out when false or empty).
func checkStatusKeys(t *testing.T, addr string, views int) {
	t.Helper()
	code, out, stderr := runCmd(t, "klayout", "status", "--json", "--klayout", addr)
	var m map[string]json.RawMessage
	if code != exitOK || json.Unmarshal([]byte(out), &m) != nil {
		t.Fatalf("status --json: code %d, %q %q", code, out, stderr)
	}
	lists := map[string]bool{"allowed": true, "dialogs": true, "top_cells": true, "box": true,
		"visible_layers": true, "hidden_layers": true, "layers": true}
	for _, k := range ipc.StatusKeys() {
		v, ok := m[k]
		if !ok {
			t.Errorf("status --json with %d views has no %q: %s", views, k, out)
			continue
		}
		if lists[k] && (len(v) == 0 || v[0] != '[') {
			t.Errorf("status --json: %q is %s, want a list", k, v)
		}
	}
	if len(m) != len(ipc.StatusKeys()) {
		t.Errorf("status --json has %d keys, ipc.StatusKeys %d: %s", len(m), len(ipc.StatusKeys()), out)
	}
	if string(m["dirty"]) != "false" || string(m["hidden_layers"]) != "[]" {
		t.Errorf("dirty %s, hidden_layers %s; want false and []", m["dirty"], m["hidden_layers"])
	}
}
