//go:build !unix

package ipc

import "syscall"

func detached() *syscall.SysProcAttr { return nil }
