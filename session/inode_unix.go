//go:build unix && !linux

package session

import (
	"os"
	"syscall"
)

// inodeOf returns fi's inode number.
func inodeOf(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
