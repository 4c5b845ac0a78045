package main

import (
	"os"
	"testing"

	"github.com/lywatch/lywatch/runner"
)

// TestMain lets the test binary be the guard of the builds the in-process
// live loop runs (it sets runner.Runner.Guard to itself, as lywatch does).
func TestMain(m *testing.M) {
	if code, ok := runner.GuardMain(os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
