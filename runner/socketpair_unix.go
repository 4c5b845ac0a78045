//go:build unix

package runner

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketPair makes a connected pair of Unix stream sockets: ours, as a
// connection, and theirs, a file to hand a child as one of its
// descriptors (the caller closes it once the child has started). Neither
// end leaks into a process another goroutine starts meanwhile. what names
// the pair in errors.
func socketPair(what string) (*net.UnixConn, *os.File, error) {
	syscall.ForkLock.RLock() // no other start may inherit the pair
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: socket pair: %w", what, err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), what), os.NewFile(uintptr(fds[1]), what)
	c, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		theirs.Close()
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	return c.(*net.UnixConn), theirs, nil
}
