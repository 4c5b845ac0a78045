package main

import "context"

// runGDS is replaced by the issue that brings the 'gds' command.
func runGDS(_ context.Context, e *env, _ []string) int {
	return e.errorf("gds: not built yet")
}
