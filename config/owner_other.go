//go:build !unix

package config

// foreignFile says why another user could write the file at p. Outside
// Unix the file's ACL is not read: every file is taken as the user's.
func foreignFile(p string) string { return "" }
