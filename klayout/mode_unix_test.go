//go:build unix

package klayout

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestMacroModeFollowsUmask: the server macro lywatch klayout install
// writes (and the one extracted for klayout -rm), and the folder made for
// it, get the modes the umask gives any file the user writes, never a
// forced 0644. The umask is the process's: the test does not run in
// parallel.
func TestMacroModeFollowsUmask(t *testing.T) {
	for _, mask := range []int{0o077, 0o022, 0o002} {
		dir := filepath.Join(t.TempDir(), "pymacros")
		old := syscall.Umask(mask)
		installed, _, err := Install(dir)
		var extracted string
		if err == nil {
			extracted, err = ExtractMacro(filepath.Join(t.TempDir(), "lywatch"))
		}
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path string
			perm fs.FileMode
		}{{installed, 0o666}, {dir, 0o777}, {extracted, 0o666}, {filepath.Dir(extracted), 0o777}} {
			fi, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if want := c.perm &^ fs.FileMode(mask); fi.Mode().Perm() != want {
				t.Errorf("umask %03o: %s has mode %04o, want %04o", mask, c.path, fi.Mode().Perm(), want)
			}
		}
	}
}
