package main

import (
	"os"
	"strings"
	"testing"
)

// TestWatchTimeoutFromConfig: the timeout of lywatch.toml, top level and
// per target, stops a build that runs longer; the cycle fails and says so.
func TestWatchTimeoutFromConfig(t *testing.T) {
	tests := []struct{ name, toml string }{
		{"top level", "command = \"sleep 1000\"\ntimeout = \"200ms\"\n"},
		{"target", "[[targets]]\nname = \"chip\"\ncommand = \"sleep 1000\"\ntimeout = 200\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			t.Setenv("NO_COLOR", "1")
			if err := os.WriteFile("lywatch.toml", []byte(tt.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errb := runCmd(t, "--once", "--no-push", "--no-session")
			if code != exitFail || !strings.Contains(out, "failed (timed out)") || !strings.Contains(errb, "timed out in ") {
				t.Errorf("code %d, stdout %q, stderr %q; want %d and a build that timed out", code, out, errb, exitFail)
			}
		})
	}
}
