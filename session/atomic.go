package session

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lywatch/lywatch/internal/atomicfile"
)

// Modes of what the session writes, before the user's umask takes its
// bits away, as for any file a build writes: with umask 022 files are
// 0644 and folders 0755, with umask 077 0600 and 0700.
const (
	filePerm fs.FileMode = 0o666
	dirPerm  fs.FileMode = 0o777
)

// WriteFileAtomic writes data to path atomically (atomicfile.WriteFile):
// the old file or the new one, never a mix; the mode is perm less the
// umask.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.WriteFile(path, data, perm)
}

// writeAtomic is WriteFileAtomic with the content produced by fill.
func writeAtomic(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	return atomicfile.Write(path, perm, fill)
}

// createTemp creates a new file named prefix and a random suffix in dir,
// with perm less the umask.
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	return atomicfile.CreateTemp(dir, prefix, perm)
}

// syncDir fsyncs a directory so a rename or removal in it is durable.
func syncDir(dir string) error { return atomicfile.SyncDir(dir) }

// removeTemps deletes temporary files left in dir by writes that a crash
// interrupted.
func removeTemps(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, n := range names {
		os.Remove(n)
	}
}
