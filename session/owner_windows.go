//go:build windows

package session

import "os"

// inodeOf returns 0: Windows has no inode in a FileInfo, and the stat
// cache does without (size and modification time).
func inodeOf(os.FileInfo) uint64 { return 0 }
