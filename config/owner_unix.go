//go:build unix

package config

import (
	"fmt"
	"os"
	"syscall"
)

// foreignFile says why another user could write the file at p ("" when
// only its owner, who is this user or root, can).
func foreignFile(p string) string {
	st, err := os.Stat(p)
	if err != nil {
		return err.Error()
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		if uid := int(sys.Uid); uid != os.Getuid() && uid != 0 {
			return fmt.Sprintf("owned by another user (uid %d)", uid)
		}
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Sprintf("writable by other users (mode %04o)", st.Mode().Perm())
	}
	return ""
}
