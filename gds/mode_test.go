package gds

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileFollowsUmask checks that WriteFile's output (also `lywatch
// gds gzip`'s) is created 0666 less the umask, as any program's output, for
// .gds and .gds.gz, new or replacing a file of another mode. The umask is
// the process's: the test sets it and puts it back, and no other test of
// the package runs at the same time.
func TestWriteFileFollowsUmask(t *testing.T) {
	for _, mask := range []int{0o077, 0o022, 0o002} {
		for _, name := range []string{"out.gds", "out.gds.gz"} {
			t.Run(fmt.Sprintf("%03o/%s", mask, name), func(t *testing.T) {
				dir := t.TempDir()
				old := syscall.Umask(mask)
				defer syscall.Umask(old)
				p := filepath.Join(dir, name)
				want := fs.FileMode(0o666 &^ mask)
				for _, existing := range []bool{false, true} {
					if existing {
						if err := os.Chmod(p, 0o600|0o040); err != nil {
							t.Fatal(err)
						}
					}
					if err := WriteFile(p, twoCells()); err != nil {
						t.Fatal(err)
					}
					fi, err := os.Stat(p)
					if err != nil {
						t.Fatal(err)
					}
					if got := fi.Mode().Perm(); got != want {
						t.Errorf("umask %03o, replacing a file %v: mode %v, want %v", mask, existing, got, want)
					}
				}
				if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
			})
		}
	}
}
