//go:build !unix && !windows

package runner

import (
	"errors"
	"os"
	"runtime"
)

// start fails: builds need process groups (Unix) or Job Objects (Windows).
func (r *Runner) start(argv, env []string, stdout, stderr *os.File, remove string, extra []*os.File) (proc, error) {
	return nil, errors.New("runner: running builds is not supported on " + runtime.GOOS + " (Unix and Windows only)")
}
