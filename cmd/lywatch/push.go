package main

import "context"

// runPush is replaced by the issue that brings the 'push' command.
func runPush(_ context.Context, e *env, _ []string) int {
	return e.errorf("push: not built yet")
}
