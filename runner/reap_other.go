//go:build unix && !linux

package runner

// setSubreaper does nothing where there are no child subreapers; orphans
// go to PID 1, which reaps them.
func setSubreaper() {}
