//go:build unix

package session

import (
	"context"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// withUmask runs fn with the process's umask set to mask. The umask is
// the process's: tests of this package do not run in parallel.
func withUmask(t *testing.T, mask int, fn func()) {
	t.Helper()
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	fn()
}

// checkModes fails for every file or folder under dir (dir included)
// whose permission bits are not 0666 or 0777 less mask.
func checkModes(t *testing.T, dir string, mask int) {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			t.Error(err)
			return nil
		}
		want := fs.FileMode(0o666) &^ fs.FileMode(mask)
		if d.IsDir() {
			want = fs.FileMode(0o777) &^ fs.FileMode(mask)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("umask %03o: %s has mode %04o, want %04o", mask, p, fi.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 2 {
		t.Errorf("%s: only %d entries checked", dir, n)
	}
}

// TestFileModesFollowUmask saves a session and restores a layout under
// umask 077, 022 and 002 and checks that every file and folder written has
// the mode the umask gives a build's own output (0666 and 0777 less the
// umask), none forced to 0644 or 0600.
func TestFileModesFollowUmask(t *testing.T) {
	for _, mask := range []int{0o077, 0o022, 0o002} {
		withUmask(t, mask, func() {
			root := newRoot(t, srcFiles)
			s := openStore(t, root, Options{})
			if err := s.Save("chip", testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 5000)); err != nil {
				t.Fatal(err)
			}
			if err := s.Save("chip", testManifest(t, root, srcPaths(), 2), layoutFile(t, t.TempDir(), 2, 5000)); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveDependencies(Dependencies{"chip": nil}); err != nil {
				t.Fatal(err)
			}
			checkModes(t, filepath.Join(root, "build"), mask)
			m, err := s.Load("chip")
			if err != nil || m == nil {
				t.Fatal(m, err)
			}
			out := filepath.Join(t.TempDir(), "restored")
			if err := s.SaveLayout("gds", m.Clone(), realGDS(t)); err != nil {
				t.Fatal(err)
			}
			gm, _ := s.Load("gds")
			if err := s.RestoreLayout(context.Background(), "gds", gm, filepath.Join(out, "chip.gds")); err != nil {
				t.Fatal(err)
			}
			checkModes(t, out, mask)
			s.Close()
		})
	}
}
