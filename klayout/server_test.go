package klayout

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestServerBufferingInPython runs the macro's connection code under plain
// python3 with pya stubbed: requests split at every byte, blank lines,
// garbage, over-long lines and lyipc text commands.
func TestServerBufferingInPython(t *testing.T) {
	py := testsupport.Python3(t)
	cmd := exec.Command(py, "-B", "testdata/feed_test.py", "server.py")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "\nok") {
		t.Fatalf("feed_test.py: %v\n%s", err, out)
	}
}

// TestServerDiscoveryLifecycleInPython starts the macro under plain python3
// with pya stubbed and checks its discovery file: written with its pid when
// it listens, removed when KLayout quits (aboutToQuit) or the interpreter
// ends (atexit), and never removed when it holds another KLayout's pid;
// KLayout's start-up tips hidden and its file watcher off while it runs,
// and the user's values back when it quits.
// (KLayout 0.28.5 under Xvfb cannot be made to quit cleanly from a test, so
// this is where the exit path is shown.)
func TestServerDiscoveryLifecycleInPython(t *testing.T) {
	py := testsupport.Python3(t)
	for _, mode := range []string{"quit", "atexit"} {
		t.Run(mode, func(t *testing.T) {
			cache := t.TempDir()
			cmd := exec.Command(py, "-B", "testdata/exit_test.py", "server.py", mode)
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "LYWATCH_PORT=11999")
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
				t.Fatalf("exit_test.py %s: %v\n%s", mode, err, out)
			}
			if left, _ := filepath.Glob(filepath.Join(cache, "lywatch", "klayout-*.json")); len(left) != 0 {
				t.Errorf("discovery files left after the interpreter ended: %v", left)
			}
		})
	}
}

// TestFollowRuleInPython checks the macro's rule for following a renamed
// cell (replacement, follow_path) under plain python3 on stand-in layouts.
func TestFollowRuleInPython(t *testing.T) {
	py := testsupport.Python3(t)
	out, err := exec.Command(py, "-B", "testdata/follow_test.py", "server.py").CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("follow_test.py: %v\n%s", err, out)
	}
}

// TestLoadArgumentsInPython runs the macro's load command under plain
// python3 with pya and KLayout's window stubbed: good requests, a table of
// malformed ones (wrong types, huge lists, bad checksums, not gzip, over
// the size limit) and 3000 random ones. Each malformed request is an
// error with a code and never reaches KLayout.
func TestLoadArgumentsInPython(t *testing.T) {
	py := testsupport.Python3(t)
	out, err := exec.Command(py, "-B", "testdata/load_test.py", "server.py").CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("load_test.py: %v\n%s", err, out)
	}
}
