// Package session keeps lywatch's last good state on disk so a restart with
// nothing changed can show the cached layout at once, without a build, and a
// restart with something changed rebuilds only what the change reaches.
//
// A session lives in one directory (build/session under the project root by
// default, see DefaultDir and ResolveDir). Per build target it holds the last
// good layout (cells.gds.gz), a manifest of plain data (file hashes with a
// stat cache, function and factory hashes, cells with their hashes and
// factory, the dependency graph's edges) and a bounded history of frames. A
// dependencies file records which target's layout uses which others'.
//
// Every file is written atomically (temporary file, fsync, rename, fsync of
// the directory) under a lock held by the one lywatch using the directory, and
// every file carries a checksum. Loading never fails hard: a missing session
// is empty, and a corrupt, truncated, bit-flipped, unknown-version or foreign
// one is reported as a single *Warning and treated as empty, so stale data is
// never served. All paths in a manifest are relative to the project root, so
// a moved checkout keeps its session.
//
// The package knows nothing of how the dependency graph is computed nor of
// KLayout: callers hand it plain data and get plain data back.
package session
