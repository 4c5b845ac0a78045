//go:build unix

package runner

import (
	"os"
	"runtime"
)

// start runs argv: under the guard when Runner.Guard is set, else
// supervised by lywatch itself. remove is the events file to remove when
// the guard exits, if it is on disk. extra are files the build gets as
// file descriptors 3, 4, ... (a warm worker's control socket).
func (r *Runner) start(argv, env []string, stdout, stderr *os.File, remove string, extra []*os.File) (proc, error) {
	if r.Guard != "" {
		return r.startGuarded(argv, env, stdout, stderr, remove, extra)
	}
	return r.startLocal(argv, env, stdout, stderr, extra)
}

// Self returns the path that runs this very executable again, for
// Runner.Guard: /proc/self/exe on Linux (the same file, even if a newer
// one has been installed over it since), else os.Executable's answer;
// "" when there is none.
func Self() string {
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/proc/self/exe"); err == nil {
			return "/proc/self/exe"
		}
	}
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}
