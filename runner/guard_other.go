//go:build !unix

package runner

import "os"

// GuardMain returns false: guard processes are a Unix thing (on Windows a
// Job Object ends the build with lywatch). See the Unix documentation.
func GuardMain(args []string) (int, bool) { return 0, false }

// Self returns os.Executable's answer, "" when there is none; Runner.Guard
// is not used here.
func Self() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	return p
}

// spareSet is empty: there are no spare guards without guards.
type spareSet struct{}

func (s *spareSet) close() {}

func (r *Runner) prepare() error { return nil }
