// Package watch holds the side-by-side watching benchmarks (scripts); its
// test checks that they measure the tools themselves.
package watch

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestIdleMeasuresTheToolItself runs idle.sh on a tiny tree: every tool is
// measured as its own process (entr, not a shell piping into it).
func TestIdleMeasuresTheToolItself(t *testing.T) {
	if _, err := exec.LookPath("entr"); err != nil {
		if os.Getenv("LYWATCH_REQUIRE_KLAYOUT") != "" {
			t.Fatal("entr not found (apt-get install entr)")
		}
		t.Skip("entr not installed (apt-get install entr)")
	}
	cmd := exec.Command("./idle.sh", "entr", "lywatch")
	cmd.Env = append(os.Environ(), "SECONDS_IDLE=1", "DIRS=3", "PER_DIR=2", "STARTUP=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("idle.sh: %v\n%s", err, out)
	}
	for _, tool := range []string{"entr", "lywatch"} {
		found := false
		for _, l := range strings.Split(string(out), "\n") {
			f := strings.Fields(l)
			if len(f) >= 2 && f[0] == tool {
				found = true
				if f[1] != tool {
					t.Errorf("%s measured as process %q:\n%s", tool, f[1], out)
				}
			}
		}
		if !found {
			t.Errorf("no line for %s:\n%s", tool, out)
		}
	}
}
