package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/klayout"
)

func TestKLayoutInstall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pymacros")
	code, out, _ := runCmd(t, "klayout", "install", "--dir", dir)
	want := filepath.Join(dir, "lywatch_server.lym")
	if code != exitOK || !strings.Contains(out, "installed lywatch server") || !strings.Contains(out, want) {
		t.Fatalf("install: code %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "klayout", "install", "--dir", dir)
	if code != exitOK || !strings.Contains(out, "already installed: "+want) {
		t.Fatalf("second install: code %d, %q", code, out)
	}
}

func TestKLayoutStatusExplainsPortTaken(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	addr := testsupport.FreeAddr(t)
	port := klayout.PortOf(addr)
	dir := filepath.Join(cache, "lywatch")
	os.MkdirAll(dir, 0o755)
	disc := `{"pid": ` + strconv.Itoa(os.Getpid()) + `, "port": ` + strconv.Itoa(port) + `, "listening": false, "error": "cannot listen on 127.0.0.1: address in use"}`
	os.WriteFile(filepath.Join(dir, "klayout-"+strconv.Itoa(port)+".json"), []byte(disc), 0o644)
	code, _, stderr := runCmd(t, "klayout", "status", "--target", addr)
	if code != exitFail || !strings.Contains(stderr, "could not listen: cannot listen on 127.0.0.1: address in use") {
		t.Errorf("status: code %d, %q", code, stderr)
	}
}

func TestKLayoutStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a KLayout")
	}
	testsupport.KLayout(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("LYWATCH_TOKEN", "")
	t.Setenv("DISPLAY", testsupport.Xvfb(t))
	file := klSmallLayout(t, home)
	port := strconv.Itoa(testsupport.FreePort(t))
	code, out, stderr := runCmd(t, "klayout", "start", "--port", port, file)
	if m := regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(out); m != nil {
		pid, _ := strconv.Atoi(m[1])
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	}
	if code != exitOK || !strings.Contains(out, "listening on 127.0.0.1:"+port) {
		t.Fatalf("start: code %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, out, _ = runCmd(t, "klayout", "status", "--target", "127.0.0.1:"+port, "--no-color")
	if code != exitOK || !strings.Contains(out, file+", cell SMALL") {
		t.Errorf("status after start: code %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "klayout", "start", "--port", port)
	if code != exitOK || !strings.Contains(out, "already answers") {
		t.Errorf("second start: code %d, %q", code, out)
	}
}

func TestKLayoutToken(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("LYWATCH_TOKEN", "")
	t.Setenv("LYWATCH_TOKEN_FILE", "")
	code, tok, _ := runCmd(t, "klayout", "token")
	if code != exitOK || len(strings.TrimSpace(tok)) != 64 {
		t.Fatalf("klayout token: code %d, %q", code, tok)
	}
	path := filepath.Join(cfg, "lywatch", "token")
	if code, out, _ := runCmd(t, "klayout", "token", "--path"); code != exitOK || strings.TrimSpace(out) != path {
		t.Errorf("klayout token --path: code %d, %q; want %s", code, out, path)
	}
	if _, again, _ := runCmd(t, "klayout", "token"); again != tok {
		t.Errorf("second klayout token: %q, want %q", again, tok)
	}
	os.Chmod(path, 0o640)
	if code, _, stderr := runCmd(t, "klayout", "token"); code == exitOK || !strings.Contains(stderr, "chmod 600") {
		t.Errorf("a group-readable token file: code %d, %q", code, stderr)
	}
}
