// Package version holds lywatch's version, shared by the command line, the
// session manifest and the KLayout server handshake.
package version

// Version is lywatch's release version. Builds from the Makefile override it
// with -ldflags "-X github.com/lywatch/lywatch/internal/version.Version=...".
var Version = "0.1.0-dev"
