//go:build !linux

package main

import "testing"

func checkReplayPTY(t *testing.T, p *replayProject) {
	t.Skip("raw terminal keys are read on Linux only")
}
