package ipc

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerBufferingInPython runs the macro's connection code under plain
// python3 with pya stubbed: requests split at every byte, blank lines,
// garbage, over-long lines and lyipc text commands.
func TestServerBufferingInPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	cmd := exec.Command(py, "-B", "testdata/feed_test.py", "server.py")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "\nok") {
		t.Fatalf("feed_test.py: %v\n%s", err, out)
	}
}
