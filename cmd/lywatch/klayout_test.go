package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
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
	code, _, stderr := runCmd(t, "klayout", "status", "--klayout", addr)
	if code != exitFail || !strings.Contains(stderr, "could not listen: cannot listen on 127.0.0.1: address in use") {
		t.Errorf("status: code %d, %q", code, stderr)
	}
}

// TestKLayoutInstancesPerProject starts two KLayouts with lywatch klayout
// start from two projects while the default port is taken: each gets a free
// port and its project's name, list shows both, each project's pushes reach
// only its own KLayout, and stop ends each.
func TestKLayoutInstancesPerProject(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two KLayouts")
	}
	testsupport.KLayout(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("LYWATCH_TOKEN", "")
	t.Setenv(EnvKLayout, "")
	t.Setenv("DISPLAY", testsupport.Xvfb(t))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	t.Setenv("LYWATCH_PORT", strconv.Itoa(taken.Addr().(*net.TCPAddr).Port))
	projects := map[string]string{}
	for _, name := range []string{"alpha", "beta"} {
		dir := filepath.Join(home, name)
		os.MkdirAll(filepath.Join(dir, ".git"), 0o755)
		projects[name] = dir
	}
	file := klSmallLayout(t, projects["alpha"])
	pids := map[string]int{}
	start := func(name string, args ...string) string {
		t.Helper()
		t.Chdir(projects[name])
		code, out, stderr := runCmd(t, append([]string{"klayout", "start"}, args...)...)
		if m := regexp.MustCompile(`\(pid (\d+)\)`).FindStringSubmatch(out); m != nil {
			pid, _ := strconv.Atoi(m[1])
			pids[name] = pid
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
		}
		if code != exitOK {
			t.Fatalf("start in %s: code %d, stdout %q, stderr %q", name, code, out, stderr)
		}
		return out
	}
	out := start("alpha", file)
	if !strings.Contains(out, `name "`+projects["alpha"]+`"`) || !strings.Contains(out, "open "+file) || strings.Contains(out, ":"+os.Getenv("LYWATCH_PORT")+" ") {
		t.Errorf("start in alpha: %q", out)
	}
	start("beta")

	var list []listJSON
	t.Chdir(projects["alpha"])
	code, out, _ := runCmd(t, "klayout", "list", "--json")
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 {
		t.Fatalf("list --json: code %d, %q", code, out)
	}
	addrs := map[string]string{}
	for _, l := range list {
		addrs[filepath.Base(l.Name)] = l.Addr
		if !l.Answers || l.Stale || l.PID != pids[filepath.Base(l.Name)] {
			t.Errorf("list entry %+v: want answering, pid %d", l, pids[filepath.Base(l.Name)])
		}
	}
	if addrs["alpha"] == addrs["beta"] || addrs["alpha"] == "" {
		t.Fatalf("instances' addresses %v", addrs)
	}
	if code, out, _ := runCmd(t, "klayout", "list", "--no-color"); code != exitOK || !strings.Contains(out, "* "+projects["alpha"]) {
		t.Errorf("list: code %d, %q", code, out)
	}

	// Each project's push reaches its own KLayout only.
	fileB := filepath.Join(projects["beta"], "b.gds")
	b, _ := os.ReadFile(file)
	os.WriteFile(fileB, b, 0o644)
	t.Chdir(projects["beta"])
	if code, out, stderr := runCmd(t, "push", fileB); code != exitOK || !strings.Contains(out, addrs["beta"]) {
		t.Fatalf("push in beta: code %d, %q %q", code, out, stderr)
	}
	for name, want := range map[string]string{"alpha": file, "beta": fileB} {
		st, err := (&ipc.Client{Addr: addrs[name]}).Status(context.Background())
		if err != nil || st.File != want || st.Views != 1 || st.Name != projects[name] {
			t.Errorf("%s's KLayout: %+v, %v; want only %s", name, st, err, want)
		}
		if st != nil && len(st.Dialogs) != 0 {
			t.Errorf("%s's KLayout shows dialogs %q; want none (no start-up tip)", name, st.Dialogs)
		}
	}
	t.Chdir(projects["alpha"])
	if code, out, _ := runCmd(t, "klayout", "status", "--no-color"); code != exitOK || !strings.Contains(out, file+", cell SMALL") {
		t.Errorf("status in alpha: code %d, %q", code, out)
	}
	if code, out, _ := runCmd(t, "klayout", "start"); code != exitOK || !strings.Contains(out, "already answers on "+addrs["alpha"]) {
		t.Errorf("second start in alpha: code %d, %q", code, out)
	}

	// stop ends the instance started for the project, and only it.
	t.Chdir(projects["beta"])
	if code, out, stderr := runCmd(t, "klayout", "stop"); code != exitOK || !strings.Contains(out, "stopped KLayout (pid "+strconv.Itoa(pids["beta"])) {
		t.Fatalf("stop in beta: code %d, %q %q", code, out, stderr)
	}
	if klayout.ProcessAlive(pids["beta"]) || !klayout.ProcessAlive(pids["alpha"]) {
		t.Errorf("after stop in beta: beta alive %v, alpha alive %v", klayout.ProcessAlive(pids["beta"]), klayout.ProcessAlive(pids["alpha"]))
	}
	if code, _, stderr := runCmd(t, "klayout", "stop"); code != exitFail || !strings.Contains(stderr, "no KLayout named") {
		t.Errorf("second stop in beta: code %d, %q", code, stderr)
	}
	t.Chdir(projects["alpha"])
	if code, _, stderr := runCmd(t, "klayout", "stop"); code != exitOK || klayout.ProcessAlive(pids["alpha"]) {
		t.Errorf("stop in alpha: code %d, %q", code, stderr)
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

// TestKLayoutStartKeepsUserSettings starts KLayout with lywatch klayout
// start --name, with a klayoutrc in HOME that turns the file watcher on and
// hides no tip: no start-up tip ever shows, the server binds loopback and
// turns the file watcher off while it runs, and after lywatch klayout stop
// the klayoutrc holds the user's values again.
func TestKLayoutStartKeepsUserSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("starts KLayout")
	}
	testsupport.KLayout(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("LYWATCH_TOKEN", "")
	t.Setenv("LYWATCH_PORT", strconv.Itoa(testsupport.FreePort(t)))
	t.Setenv(EnvKLayout, "")
	t.Setenv("DISPLAY", testsupport.Xvfb(t))
	rc := filepath.Join(home, ".klayout", "klayoutrc")
	user := map[string]string{
		"layout-file-watcher-enabled": "true",
		"tip-window-hidden":           "",
		"full-hierarchy-new-cell":     "false", // KLayout's default: its start-up tip's subject
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<config>\n")
	for k, v := range user {
		fmt.Fprintf(&b, " <%s>%s</%s>\n", k, v, k)
	}
	b.WriteString("</config>\n")
	if err := os.MkdirAll(filepath.Dir(rc), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rc, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(home, "chip")
	os.MkdirAll(filepath.Join(project, ".git"), 0o755)
	t.Chdir(project)

	code, out, stderr := runCmd(t, "klayout", "start", "--name", "review")
	m := regexp.MustCompile(`\(pid (\d+)\) with .* its output goes to (\S+)`).FindStringSubmatch(out)
	if m != nil {
		pid, _ := strconv.Atoi(m[1])
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	}
	if code != exitOK || m == nil || !strings.Contains(out, `name "review"`) {
		t.Fatalf("klayout start --name review: code %d, stdout %q, stderr %q", code, out, stderr)
	}
	pid, logFile := m[1], m[2]
	live, _, err := klayout.List()
	if err != nil || len(live) != 1 || strconv.Itoa(live[0].PID) != pid || live[0].Name != "review" || live[0].Bind != "127.0.0.1" {
		t.Fatalf("discovery: %+v, %v; want pid %s named review, bound to 127.0.0.1", live, err, pid)
	}
	c := &ipc.Client{Addr: live[0].Addr()}
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		st, err := c.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Dialogs) != 0 || st.FileWatcher {
			t.Fatalf("KLayout shows dialogs %q, file watcher %v; want none, off", st.Dialogs, st.FileWatcher)
		}
	}
	if code, out, stderr := runCmd(t, "klayout", "stop", "--name", "review"); code != exitOK || !strings.Contains(out, "stopped KLayout (pid "+pid+")") {
		t.Fatalf("klayout stop --name review: code %d, %q %q", code, out, stderr)
	}
	if log, err := os.ReadFile(logFile); err != nil || strings.Contains(string(log), "start-up tip") {
		t.Errorf("KLayout's log (%v) says a start-up tip showed:\n%s", err, log)
	}
	got := klayoutrc(t, rc)
	for k, v := range user {
		if got[k] != v {
			t.Errorf("klayoutrc after stop: %s = %q, want the user's %q", k, got[k], v)
		}
	}
}

// klayoutrc reads the settings of a KLayout configuration file.
func klayoutrc(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cfg struct {
		Entries []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	if err := xml.NewDecoder(f).Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for _, e := range cfg.Entries {
		out[e.XMLName.Local] = strings.TrimSpace(e.Value)
	}
	return out
}
