//go:build unix

package session

import (
	"fmt"
	"os"
	"syscall"
)

// privateFile refuses a file another user owns or others may read or
// write.
func privateFile(fi os.FileInfo) error {
	if err := ownedByMe(fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("can be read or written by others (mode %04o, want 0600)", fi.Mode().Perm())
	}
	return nil
}

// ownedByMe refuses a file owned by another user than this process's.
func ownedByMe(fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := os.Geteuid(); int(st.Uid) != me {
		return fmt.Errorf("is owned by uid %d, not by this user (uid %d)", st.Uid, me)
	}
	return nil
}
