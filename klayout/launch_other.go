//go:build !unix

package klayout

import "syscall"

func detached() *syscall.SysProcAttr { return nil }
