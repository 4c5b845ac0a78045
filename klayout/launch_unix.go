//go:build unix

package klayout

import "syscall"

// detached puts KLayout in a session of its own, so that the terminal's
// Ctrl-C or hang-up does not reach it.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
