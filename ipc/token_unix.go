//go:build unix

package ipc

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// privateFile refuses a token file others can read or another user owns.
func privateFile(path string, st fs.FileInfo) error {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Getuid() {
		return fmt.Errorf("token file %s belongs to another user (uid %d): delete it and run 'lywatch klayout token'", path, sys.Uid)
	}
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("token file %s can be read by other users (mode %#o): run chmod 600 %s", path, m, path)
	}
	return nil
}
