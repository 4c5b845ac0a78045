//go:build unix

package replay

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileScreenModeFollowsUmask: the file lywatch replay writes (by
// default the target's output) and the folder made for it get the modes
// the umask gives a build's own output, never a forced 0644. The umask is
// the process's: no test of this package runs in parallel.
func TestFileScreenModeFollowsUmask(t *testing.T) {
	for _, mask := range []int{0o077, 0o022, 0o002} {
		dir := filepath.Join(t.TempDir(), "out")
		path := filepath.Join(dir, "chip.gds")
		old := syscall.Umask(mask)
		_, err := FileScreen{Path: path, Push: &pusher{}}.Show(context.Background(), []byte("GDS"))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path string
			perm fs.FileMode
		}{{path, 0o666}, {dir, 0o777}} {
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
