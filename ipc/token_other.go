//go:build !unix

package ipc

import "io/fs"

// privateFile trusts the folder's access rules where modes do not say who
// may read (Windows: the user's profile folder is private).
func privateFile(string, fs.FileInfo) error { return nil }
