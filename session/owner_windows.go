//go:build windows

package session

import "os"

// inodeOf returns 0: Windows has no inode in a FileInfo, and the stat
// cache does without (size and modification time).
func inodeOf(os.FileInfo) uint64 { return 0 }

// privateFile accepts every file: Windows keeps the user's configuration
// folder private by its ACLs, which this package does not inspect.
func privateFile(os.FileInfo) error { return nil }

// ownedByMe accepts every file (see privateFile).
func ownedByMe(os.FileInfo) error { return nil }
