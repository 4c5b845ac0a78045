package runner

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// writeEvents writes the events file in memory, as a sealed memfd that
// lywatch holds and the build opens as /proc/PID/fd/N (PID being
// lywatch's): nothing is on disk, so nothing can be left behind, even
// after a kill -9. Where memfds or /proc are missing it falls back to a
// temporary file.
func writeEvents(data []byte) (*eventsFile, error) {
	f, err := memfd(data)
	if err != nil {
		return writeTemp(data)
	}
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), f.Fd())
	if _, err := os.Stat(path); err != nil {
		f.Close()
		return writeTemp(data)
	}
	return &eventsFile{path: path, release: func() { f.Close() }}, nil
}

// memfd returns a memory file holding data, sealed against any change.
func memfd(data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("lywatch-events.json", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "lywatch-events.json")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
