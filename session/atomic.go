package session

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Modes of what the session writes, before the user's umask takes its
// bits away, as for any file a build writes: with umask 022 files are
// 0644 and folders 0755, with umask 077 0600 and 0700.
const (
	filePerm fs.FileMode = 0o666
	dirPerm  fs.FileMode = 0o777
)

// WriteFileAtomic writes data to path so that a reader (or a restart after a
// crash at any instant) sees either the old file or the new one, never a
// mix: it writes a temporary file in the same directory, fsyncs it, renames
// it over path and fsyncs the directory. Like os.WriteFile, the new file is
// created with perm less the process's umask; its mode is never forced.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic is WriteFileAtomic with the content produced by fill.
func writeAtomic(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := createTemp(dir, "."+base+".tmp-", perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: fsync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return syncDir(dir)
}

// createTemp creates a new file named prefix and a random suffix in dir,
// with perm less the umask (os.CreateTemp would force 0600).
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if err == nil || !errors.Is(err, fs.ErrExist) || try == 100 {
			return f, err
		}
	}
}

// syncDir fsyncs a directory so a rename or removal in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// removeTemps deletes temporary files left in dir by writes that a crash
// interrupted.
func removeTemps(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, n := range names {
		os.Remove(n)
	}
}
