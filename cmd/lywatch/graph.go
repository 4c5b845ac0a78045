package main

import "context"

// runGraph is replaced by the issue that brings the 'graph' command.
func runGraph(_ context.Context, e *env, _ []string) int {
	return e.errorf("graph: not built yet")
}
