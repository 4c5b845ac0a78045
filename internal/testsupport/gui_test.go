//go:build unix

package testsupport

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/klayout"
)

func TestKLayoutGUIStartsKillsAndRestarts(t *testing.T) {
	g := KLayoutGUI(t, GUIOptions{Macro: klayout.ServerMacro()})
	first := g.PID()
	if _, err := os.Stat(g.DiscoveryFile()); err != nil {
		t.Fatalf("no discovery file: %v", err)
	}
	g.Kill()
	if c, err := net.DialTimeout("tcp", g.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("something still listens on %s after Kill", g.Addr)
	}
	g.Restart()
	if g.PID() == first || g.PID() == 0 {
		t.Fatalf("restart kept pid %d", first)
	}
	if !strings.Contains(g.Output(), "listening on") {
		t.Errorf("KLayout's log does not say the server listens:\n%s", g.Output())
	}
}
