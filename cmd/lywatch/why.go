package main

import "context"

// runWhy is replaced by the issue that brings the 'why' command.
func runWhy(_ context.Context, e *env, _ []string) int {
	return e.errorf("why: not built yet")
}
