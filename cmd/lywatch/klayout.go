package main

import "context"

// runKLayout is replaced by the issue that brings the 'klayout' command.
func runKLayout(_ context.Context, e *env, _ []string) int {
	return e.errorf("klayout: not built yet")
}
