package session

import (
	"crypto/sha256"
	"io"
	"os"
	"syscall"
)

// statPath stats p without allocating a FileInfo: Validate does it for
// every tracked file at every start.
func statPath(p string) (stat, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(p, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return stat{}, &os.PathError{Op: "stat", Path: p, Err: err}
		}
		return stat{size: st.Size, mtimeNS: st.Mtim.Nano(), inode: st.Ino}, nil
	}
}

// readHash stats and hashes the file at p with as few system calls as the
// job allows (open, fstat, one read for a file that fits buf, close): the
// first run of a session hashes every tracked file.
func readHash(p string, buf []byte) ([sha256.Size]byte, stat, error) {
	var none [sha256.Size]byte
	fd, err := openRead(p)
	if err != nil {
		return none, stat{}, &os.PathError{Op: "open", Path: p, Err: err}
	}
	f := fdReader(fd)
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return none, stat{}, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	s := stat{size: st.Size, mtimeNS: st.Mtim.Nano(), inode: st.Ino}
	if st.Size < int64(len(buf)) {
		// One read of size+1 bytes: a short read at the size is the end
		// of a regular file.
		n, err := f.Read(buf[:st.Size+1])
		if err != nil && err != io.EOF {
			return none, stat{}, &os.PathError{Op: "read", Path: p, Err: err}
		}
		if int64(n) == st.Size {
			return sha256.Sum256(buf[:n]), s, nil
		}
		sum, err := hashRest(append([]byte(nil), buf[:n]...), f, buf)
		if err != nil {
			return none, stat{}, &os.PathError{Op: "read", Path: p, Err: err}
		}
		return sum, s, nil
	}
	sum, err := hashRest(nil, f, buf)
	if err != nil {
		return none, stat{}, &os.PathError{Op: "read", Path: p, Err: err}
	}
	return sum, s, nil
}

func openRead(p string) (int, error) {
	for {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}

// fdReader reads a raw descriptor, bypassing os.File (whose open tries to
// register every file with the network poller).
type fdReader int

func (fd fdReader) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(b) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}
