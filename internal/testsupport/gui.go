//go:build unix

package testsupport

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Xvfb starts a virtual X server on a free display and returns its name
// (":N"). Where Xvfb is missing the test is skipped, or fails when
// RequireKLayoutEnv is set. The server is killed when the test ends.
func Xvfb(t testing.TB) string {
	t.Helper()
	bin := lookPathOrSkip(t, "Xvfb", "xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	var out Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { killGroup(cmd) })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb did not report a display (%q): %s", n, out.String())
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatalf("Xvfb did not start within 30 s: %s", out.String())
	}
	return ""
}

// guiStartTimeout bounds how long KLayout may take to start its server.
const guiStartTimeout = 60 * time.Second

// GUIOptions configures KLayoutGUI.
type GUIOptions struct {
	Macro []byte // the server macro's Python source (required)
	Port  int    // 0: a free port
	Home  string // "": a temporary directory (KLayout's settings stay out of the user's)
	// Autorun starts KLayout without -rm: the caller installed the macro
	// as an autorun macro under Home/.klayout/pymacros.
	Autorun bool
	// NotListening expects the server to report that it could not listen
	// (port taken) instead of failing the test on it.
	NotListening bool
	// Token is the user's token the server reads from its token file
	// (Home/.config/lywatch/token); "": a fresh random one.
	Token string
	// Env holds more environment variables for KLayout (LYWATCH_LYIPC=1).
	Env []string
	// Listen is the address the server binds (LYWATCH_LISTEN); "":
	// 127.0.0.1. GUI.Addr uses it.
	Listen string
	// ExtraMacro is a second macro run at start-up (-rm), such as
	// EditMacro, for what a person would do in KLayout.
	ExtraMacro []byte
}

// EditMacro is an ExtraMacro that edits a layout as a person would: when
// the file HOME/edit-<N> appears it adds a box on layer 99/0 to the top
// cell of view N inside an undoable transaction, then removes the file.
// GUI.Edit triggers it.
const EditMacro = `
import os, pya
_dir = os.environ["HOME"]
def _poll():
    mw = pya.Application.instance().main_window()
    for n in range(mw.views()):
        f = os.path.join(_dir, "edit-%d" % n)
        if os.path.exists(f):
            view = mw.view(n)
            ly = view.active_cellview().layout()
            view.transaction("an edit")
            ly.top_cells()[0].shapes(ly.layer(99, 0)).insert(pya.Box(0, 0, 100, 100))
            view.commit()
            os.remove(f)
_edit_timer = pya.QTimer()
_edit_timer.timeout(_poll)
_edit_timer.start(50)
`

// Edit has EditMacro edit the layout of view n, as a person would, and
// waits until it did.
func (g *GUI) Edit(n int) {
	g.t.Helper()
	f := filepath.Join(g.Home, "edit-"+strconv.Itoa(n))
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		g.t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(f); err != nil {
			return
		}
	}
	g.t.Fatalf("KLayout did not make the edit of view %d (is EditMacro its ExtraMacro?)", n)
}

// GUI is a running KLayout GUI with lywatch's server macro.
type GUI struct {
	Addr     string // 127.0.0.1:port
	Port     int
	Home     string // HOME of the KLayout process
	CacheDir string // XDG_CACHE_HOME of the KLayout process
	Display  string // the Xvfb display KLayout runs on
	Token    string // the token clients must send (GUIOptions.Token)
	// ConfigDir is the XDG_CONFIG_HOME of the KLayout process, where its
	// token file is.
	ConfigDir string

	t     testing.TB
	opts  GUIOptions
	macro string
	mu    sync.Mutex
	cmd   *exec.Cmd
	out   *Buffer
	done  chan struct{}
}

// KLayoutGUI starts a real KLayout GUI (`klayout -e -rm server.py`) under
// Xvfb with HOME in a temporary directory and waits until the server's
// discovery file says it listens. The skip/fail rule of KLayout and Xvfb
// applies. Everything is killed (SIGKILL: KLayout ignores SIGTERM) when the
// test ends.
func KLayoutGUI(t testing.TB, opts GUIOptions) *GUI {
	t.Helper()
	kl := KLayout(t)
	if len(opts.Macro) == 0 {
		t.Fatal("KLayoutGUI: no server macro given")
	}
	if opts.Home == "" {
		opts.Home = t.TempDir()
	}
	if opts.Port == 0 {
		opts.Port = FreePort(t)
	}
	if opts.Token == "" {
		opts.Token = RandomToken(t)
	}
	host := "127.0.0.1"
	if opts.Listen != "" {
		host = opts.Listen
		opts.Env = append(opts.Env, "LYWATCH_LISTEN="+opts.Listen)
	}
	g := &GUI{
		Addr: net.JoinHostPort(host, strconv.Itoa(opts.Port)), Port: opts.Port,
		Home: opts.Home, CacheDir: filepath.Join(opts.Home, ".cache"), Display: Xvfb(t),
		Token: opts.Token, ConfigDir: filepath.Join(opts.Home, ".config"),
		t: t, opts: opts, macro: filepath.Join(opts.Home, "lywatch_server.py"),
	}
	if err := os.WriteFile(g.macro, opts.Macro, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(opts.ExtraMacro) > 0 {
		if err := os.WriteFile(filepath.Join(opts.Home, "extra_macro.py"), opts.ExtraMacro, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tokenFile := filepath.Join(g.ConfigDir, "lywatch", "token")
	if err := os.MkdirAll(filepath.Dir(tokenFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(opts.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Kill)
	g.start(kl)
	return g
}

// DiscoveryFile returns the path of the server's discovery file.
func (g *GUI) DiscoveryFile() string {
	return filepath.Join(g.CacheDir, "lywatch", "klayout-"+strconv.Itoa(g.Port)+".json")
}

// Output returns what KLayout printed so far.
func (g *GUI) Output() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.out == nil {
		return ""
	}
	return g.out.String()
}

// PID returns the running KLayout's process id, or 0.
func (g *GUI) PID() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil || g.cmd.Process == nil {
		return 0
	}
	return g.cmd.Process.Pid
}

// Kill stops KLayout with SIGKILL and waits for it. Safe to call twice.
func (g *GUI) Kill() {
	g.mu.Lock()
	cmd, done := g.cmd, g.done
	g.cmd = nil
	g.mu.Unlock()
	if cmd == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Process.Kill()
	<-done
}

// Restart kills KLayout if it runs and starts it again on the same port,
// display and HOME.
func (g *GUI) Restart() {
	g.t.Helper()
	g.Kill()
	// A killed KLayout leaves its discovery file; the new one overwrites it.
	os.Remove(g.DiscoveryFile())
	g.start(KLayout(g.t))
}

func (g *GUI) start(kl string) {
	g.t.Helper()
	args := []string{"-e"}
	if !g.opts.Autorun {
		args = append(args, "-rm", g.macro)
	}
	if len(g.opts.ExtraMacro) > 0 {
		args = append(args, "-rm", filepath.Join(g.Home, "extra_macro.py"))
	}
	cmd := exec.Command(kl, args...)
	cmd.Dir = g.Home
	cmd.Env = append(os.Environ(),
		"HOME="+g.Home, "XDG_CACHE_HOME="+g.CacheDir, "XDG_CONFIG_HOME="+g.ConfigDir, "DISPLAY="+g.Display,
		"LYWATCH_PORT="+strconv.Itoa(g.Port), "QT_QPA_PLATFORM=xcb")
	cmd.Env = append(cmd.Env, g.opts.Env...)
	out := &Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start klayout: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	g.mu.Lock()
	g.cmd, g.out, g.done = cmd, out, done
	g.mu.Unlock()
	if err := g.waitListening(cmd.Process.Pid, done); err != nil {
		g.Kill()
		g.t.Fatalf("klayout with the lywatch server: %v\noutput:\n%s", err, out.String())
	}
}

// waitListening waits for the discovery file of pid saying it listens, and
// for the port to accept a connection.
func (g *GUI) waitListening(pid int, done <-chan struct{}) error {
	deadline := time.Now().Add(guiStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("klayout exited while starting")
		default:
		}
		var d struct {
			PID       int    `json:"pid"`
			Listening bool   `json:"listening"`
			Error     string `json:"error"`
		}
		if b, err := os.ReadFile(g.DiscoveryFile()); err == nil && json.Unmarshal(b, &d) == nil && d.PID == pid {
			if g.opts.NotListening {
				if d.Listening {
					return fmt.Errorf("server listens on %s but should not", g.Addr)
				}
				return nil
			}
			if !d.Listening {
				return fmt.Errorf("server did not listen: %s", d.Error)
			}
			c, err := net.DialTimeout("tcp", g.Addr, time.Second)
			if err == nil {
				c.Close()
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("server not listening on %s within %v", g.Addr, guiStartTimeout)
}

// RandomToken returns a fresh token of 64 hex digits, as lywatch makes one.
func RandomToken(t testing.TB) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeAddr returns "127.0.0.1:PORT" for a port that was free a moment ago:
// an address where nothing listens.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Process.Kill()
	cmd.Wait()
}
