//go:build linux

package main

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the side a person types into (master)
// and the terminal a program reads (slave). It skips where there is none.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("pseudo-terminal number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open /dev/pts/%d: %v", n, err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// checkReplayPTY steps with single key presses on a terminal (no Enter):
// n, b, then q, which leaves the last good layout.
func checkReplayPTY(t *testing.T, p *replayProject) {
	master, slave := openPTY(t)
	rec := recorded(t, p)
	before := zoomed(t, p)
	r := startReplay(t, slave, "--klayout", p.gui.Addr, "--step", "--from", "1", "--to", "2")
	waitShown(t, p, before, 1, mustLayout(t, rec, 0), r.out.String)
	master.Write([]byte("n"))
	waitShown(t, p, before, 2, mustLayout(t, rec, 1), r.out.String)
	master.Write([]byte("b"))
	waitShown(t, p, before, 3, mustLayout(t, rec, 0), r.out.String)
	master.Write([]byte("q"))
	if code := r.wait(t); code != exitOK {
		t.Fatalf("replay on a terminal: %d\n%s", code, r.errb.String())
	}
	waitShown(t, p, before, 4, mustLayout(t, rec, 2), r.out.String) // frame 3: the last good layout
	// The terminal is back in line mode.
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ICANON == 0 {
		t.Errorf("the terminal was left in raw mode (%v)", err)
	}
}
