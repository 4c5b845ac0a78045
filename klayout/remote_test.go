package klayout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// remoteClientEnv makes the test binary a push client (see
// TestRemoteClientHelper): the test runs it inside a network namespace.
const remoteClientEnv = "LYWATCH_TEST_REMOTE_CLIENT"

// TestRemoteClientHelper is not a test: run by TestRemotePush as a separate
// process in its network namespace, it copies a layout into a folder only
// it can see (a tmpfs of its own mount namespace) and pushes it with its
// bytes, printing the result as JSON.
func TestRemoteClientHelper(t *testing.T) {
	if os.Getenv(remoteClientEnv) == "" {
		t.Skip("a helper process of TestRemotePush")
	}
	var in struct{ Addr, Src, Dir, Token string }
	json.Unmarshal([]byte(os.Getenv(remoteClientEnv)), &in)
	out := map[string]any{}
	defer func() { b, _ := json.Marshal(out); fmt.Println("RESULT " + string(b)) }()
	if b, err := exec.Command("mount", "-t", "tmpfs", "lywatch-test", in.Dir).CombinedOutput(); err != nil {
		out["error"] = fmt.Sprintf("mount tmpfs: %v: %s", err, b)
		return
	}
	raw, _ := os.ReadFile(in.Src)
	path := filepath.Join(in.Dir, "chip.gds")
	os.WriteFile(path, raw, 0o644)
	p := ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return []string{in.Addr} }, Token: in.Token, Timeout: 20 * time.Second})
	rep, err := p.Push(context.Background(), &ipc.Layout{Path: path})
	if err != nil {
		out["error"] = err.Error()
		out["unauthorized"] = strings.Contains(err.Error(), "unauthorized")
		return
	}
	out["type"], out["sent"], out["path"] = rep.Targets[0].Type, rep.Targets[0].Sent, path
	c := &ipc.Client{Addr: in.Addr, Protocol: ipc.ProtoLyipc, Timeout: 5 * time.Second}
	_, err = c.Text(context.Background(), "ping")
	out["lyipc"] = fmt.Sprint(err)
}

// TestRemotePush runs KLayout's server on an address of a veth pair whose
// other end is in a network namespace the test creates, and pushes from a
// client in that namespace that KLayout cannot see the file of: the layout
// travels in the message. A wrong token is refused and logged, and lyipc
// (unauthenticated) answers this machine only. Traffic stays on the pair.
func TestRemotePush(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("network namespaces need root (CI runs as root)")
	}
	ipBin := testsupport.IP(t)
	ns := fmt.Sprintf("lywatch-test-%d", os.Getpid())
	if b, err := exec.Command(ipBin, "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("network namespaces not allowed here (ip netns add: %v: %s)", err, strings.TrimSpace(string(b)))
	}
	t.Cleanup(func() { exec.Command(ipBin, "netns", "del", ns).Run() })
	n := os.Getpid()%200 + 20
	hostIf, nsIf := fmt.Sprintf("lwh%d", os.Getpid()), fmt.Sprintf("lwn%d", os.Getpid())
	hostIP, nsIP := fmt.Sprintf("10.231.%d.1", n), fmt.Sprintf("10.231.%d.2", n)
	ipx := func(args ...string) {
		t.Helper()
		if b, err := exec.Command(ipBin, args...).CombinedOutput(); err != nil {
			t.Skipf("cannot set up the veth pair (ip %s: %v: %s)", strings.Join(args, " "), err, b)
		}
	}
	ipx("link", "add", hostIf, "type", "veth", "peer", "name", nsIf)
	t.Cleanup(func() { exec.Command(ipBin, "link", "del", hostIf).Run() })
	ipx("link", "set", nsIf, "netns", ns)
	ipx("addr", "add", hostIP+"/30", "dev", hostIf)
	ipx("link", "set", hostIf, "up")
	ipx("netns", "exec", ns, "ip", "addr", "add", nsIP+"/30", "dev", nsIf)
	ipx("netns", "exec", ns, "ip", "link", "set", nsIf, "up")

	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(), Listen: hostIP, Env: []string{"LYWATCH_LYIPC=1"}})
	dir := t.TempDir()
	src, _ := makeLayouts(t, dir)
	hidden := filepath.Join(dir, "hidden")
	os.Mkdir(hidden, 0o755)
	remote := func(token string) map[string]any {
		t.Helper()
		in, _ := json.Marshal(map[string]string{"Addr": g.Addr, "Src": src, "Dir": hidden, "Token": token})
		cmd := exec.Command(ipBin, "netns", "exec", ns, os.Args[0], "-test.run=^TestRemoteClientHelper$", "-test.v")
		cmd.Env = append(os.Environ(), remoteClientEnv+"="+string(in))
		b, _ := cmd.CombinedOutput()
		for _, l := range strings.Split(string(b), "\n") {
			if r, ok := strings.CutPrefix(l, "RESULT "); ok {
				var out map[string]any
				json.Unmarshal([]byte(r), &out)
				return out
			}
		}
		t.Fatalf("the client in the namespace said:\n%s", b)
		return nil
	}

	out := remote(g.Token)
	if out["error"] != nil || out["type"] != "open" || out["sent"].(float64) <= 0 {
		t.Fatalf("push from the namespace: %v", out)
	}
	if _, err := os.Stat(filepath.Join(hidden, "chip.gds")); err == nil {
		t.Fatal("the client's file is visible here: the test proves nothing")
	}
	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 10 * time.Second}
	st, err := c.Status(ctxT(t, 10*time.Second))
	if err != nil || st.File == "" || st.File == out["path"] || st.TopCells[0] != "TOP" {
		t.Errorf("KLayout after the remote push: %+v, %v", st, err)
	}
	if !strings.Contains(fmt.Sprint(out["lyipc"]), "this machine only") {
		t.Errorf("lyipc from another machine: %v, want refused", out["lyipc"])
	}
	out = remote(strings.Repeat("0", 64))
	if out["unauthorized"] != true {
		t.Errorf("push with a wrong token: %v, want unauthorized", out)
	}
	if !strings.Contains(g.Output(), "refused a 'load' request from "+nsIP) {
		t.Errorf("KLayout's log does not name the refused request:\n%s", g.Output())
	}
}
