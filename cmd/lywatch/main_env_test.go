package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lywatch/lywatch/runner"
)

// TestMain runs the tests with the user's folders (the session key, the
// session locks, KLayout's discovery files) in a temporary folder that the
// processes the tests start inherit, so no test reads or writes the real
// ones. Started as a guard (the live loop sets runner.Runner.Guard to the
// running binary, as lywatch does), the test binary is one.
func TestMain(m *testing.M) {
	if code, ok := runner.GuardMain(os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	home, err := os.MkdirTemp("", "lywatch-cmd-test-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(home)
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	os.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	return m.Run()
}
