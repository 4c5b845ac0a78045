package main

import "context"

// runWatch is replaced by the issue that brings the 'watch' command.
func runWatch(_ context.Context, e *env, _ []string) int {
	return e.errorf("watch: not built yet")
}
