package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// klWaitStatus asks KLayout for its status until ok accepts it.
func klWaitStatus(t *testing.T, c *ipc.Client, what string, out func() string, ok func(*ipc.Status) bool) *ipc.Status {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last *ipc.Status
	var lastErr error
	for time.Now().Before(deadline) {
		st, err := c.Status(context.Background())
		if err == nil && ok(st) {
			return st
		}
		last, lastErr = st, err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: last status %+v, %v\nlywatch output:\n%s", what, last, lastErr, out())
	return nil
}

func klEditFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoopPushesEditsKeepingTheView runs the real lywatch binary on a copy
// of the example PDK: an edit to a factory is rebuilt and pushed, and the
// view (box, cell, hidden layer) is kept; with KLayout killed lywatch goes on
// and pushes to the restarted one.
func TestLoopPushesEditsKeepingTheView(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lywatch and runs the example PDK in a real KLayout")
	}
	kl := testsupport.KLayout(t)
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro()})
	root := testsupport.Root(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "lywatch")
	build := exec.Command("go", "build", "-o", bin, "./cmd/lywatch")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pdk := filepath.Join(tmp, "pdk")
	testsupport.CopyTree(t, filepath.Join(root, "testdata", "pdk"), pdk)
	chip := filepath.Join(pdk, "build", "chip.gds")

	cmd := exec.Command(bin, "--no-config", "--no-color", "--watch", pdk, "--output", chip, "--klayout", g.Addr,
		"--", kl, "-b", "-r", filepath.Join(pdk, "build.py"), "-rd", "out="+chip)
	cmd.Dir = pdk
	cmd.Env = append(os.Environ(), "HOME="+tmp, "XDG_CACHE_HOME="+filepath.Join(tmp, ".cache"), ipc.TokenEnv+"="+g.Token)
	var out testsupport.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 10 * time.Second}
	first := klWaitStatus(t, c, "the first build in KLayout", out.String, func(st *ipc.Status) bool {
		return st.File == chip && st.Loads >= 1
	})
	if len(first.VisibleLayers) < 2 {
		t.Fatalf("the example chip shows layers %v", first.VisibleLayers)
	}
	hide := first.VisibleLayers[1]
	ctx := context.Background()
	b := first.Box
	w, h := b[2]-b[0], b[3]-b[1]
	if err := c.Zoom(ctx, b[0]+w/4, b[1]+h/4, b[0]+w/2, b[1]+h/2); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLayerVisible(ctx, hide, false); err != nil {
		t.Fatal(err)
	}
	before, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}

	klEditFile(t, filepath.Join(pdk, "mypdk", "components", "mmi.py"), "width_mmi: float = 2.5", "width_mmi: float = 2.6")
	after := klWaitStatus(t, c, "the edited build in KLayout", out.String, func(st *ipc.Status) bool {
		return st.Loads > before.Loads
	})
	if after.Views != 1 || after.File != chip || after.Cell != before.Cell {
		t.Errorf("after the edit: %d views, file %s, cell %s; want 1, %s, %s", after.Views, after.File, after.Cell, chip, before.Cell)
	}
	for i := range 4 {
		if d := after.Box[i] - before.Box[i]; d > after.DBU || d < -after.DBU {
			t.Errorf("view box moved: %v, was %v", after.Box, before.Box)
			break
		}
	}
	if !slices.Contains(after.HiddenLayers, hide) {
		t.Errorf("layer %s visible again after the push: hidden %v", hide, after.HiddenLayers)
	}
	if after.LastLoad == nil || after.LastLoad.Type != "reload" {
		t.Errorf("last load %+v, want a reload", after.LastLoad)
	}

	// KLayout killed: lywatch says so and goes on; the restarted one gets the next build.
	g.Kill()
	klEditFile(t, filepath.Join(pdk, "mypdk", "components", "mmi.py"), "width_mmi: float = 2.6", "width_mmi: float = 2.7")
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "no KLayout listening on "+g.Addr) {
		if time.Now().After(deadline) {
			t.Fatalf("lywatch did not say KLayout is gone:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case <-exited:
		t.Fatalf("lywatch exited when KLayout went away:\n%s", out.String())
	default:
	}
	g.Restart()
	klEditFile(t, filepath.Join(pdk, "mypdk", "components", "mmi.py"), "width_mmi: float = 2.7", "width_mmi: float = 2.8")
	klWaitStatus(t, c, "a push into the restarted KLayout", out.String, func(st *ipc.Status) bool {
		return st.File == chip && st.Loads >= 1
	})

	// lywatch stopped and started again with nothing changed: the session's
	// layout is pushed into KLayout at once, and nothing is built.
	waitFor := func(what string, out *testsupport.Buffer, s string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(out.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %q in:\n%s", what, s, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("the push into the restarted KLayout", &out, "→ push ")
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	<-exited
	restart := func() (*testsupport.Buffer, func()) {
		cmd := exec.Command(cmd.Args[0], cmd.Args[1:]...)
		cmd.Dir, cmd.Env = pdk, append(os.Environ(), "HOME="+tmp, "XDG_CACHE_HOME="+filepath.Join(tmp, ".cache"), ipc.TokenEnv+"="+g.Token)
		out := &testsupport.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return out, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); cmd.Wait() }
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out2, stop2 := restart()
	again := klWaitStatus(t, c, "the cached layout pushed at restart", out2.String, func(s *ipc.Status) bool {
		return s.Loads > st.Loads
	})
	waitFor("the restart with nothing changed", out2, "session valid → build/chip.gds from the cache, no build")
	stop2()
	if strings.Contains(out2.String(), "→ build ") || again.File != chip || again.LastLoad == nil || again.LastLoad.Type != "reload" {
		t.Errorf("restart with nothing changed: built or pushed wrongly (last load %+v):\n%s", again.LastLoad, out2.String())
	}

	// A helper edited while lywatch was stopped: the restart builds first and
	// pushes the new layout only, never the stale cache.
	klEditFile(t, filepath.Join(pdk, "mypdk", "helpers.py"), "l, w1, w2 = to_dbu(length), to_dbu(width1), to_dbu(width2)",
		"l, w1, w2 = to_dbu(length), to_dbu(width1) + 2, to_dbu(width2)")
	out3, stop3 := restart()
	waitFor("the rebuild after a helper edit", out3, "→ push ")
	stop3()
	if strings.Contains(out3.String(), "session valid") || !strings.Contains(out3.String(), "start-up → 1 file changed since the session → ") ||
		strings.Count(out3.String(), "→ push ") != 1 {
		t.Errorf("restart after a helper edit: want one build, then one push:\n%s", out3.String())
	}
}
