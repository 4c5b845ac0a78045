package replay

import "golang.org/x/sys/unix"

// RawTerminal puts the terminal fd in a mode where every key press is
// read at once, unechoed (Ctrl-C still interrupts), and returns the
// function that puts it back. It fails when fd is not a terminal.
func RawTerminal(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Lflag &^= unix.ICANON | unix.ECHO
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}
