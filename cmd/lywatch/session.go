package main

import "context"

// runSession is replaced by the issue that brings the 'session' command.
func runSession(_ context.Context, e *env, _ []string) int {
	return e.errorf("session: not built yet")
}
