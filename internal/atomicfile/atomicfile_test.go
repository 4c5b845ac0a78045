//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWriteFile: the new content replaces the old, no temporary file is
// left, and the mode is perm less the umask, for a new file as for a
// replaced one.
func TestWriteFile(t *testing.T) {
	tests := []struct {
		umask int
		want  os.FileMode
	}{
		{0o022, 0o644},
		{0o077, 0o600},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		p := filepath.Join(dir, "out.gds")
		old := syscall.Umask(tt.umask)
		err1 := WriteFile(p, []byte("one"), 0o666)
		err2 := WriteFile(p, []byte("two"), 0o666)
		syscall.Umask(old)
		if err1 != nil || err2 != nil {
			t.Fatalf("umask %03o: %v, %v", tt.umask, err1, err2)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != "two" {
			t.Errorf("umask %03o: read %q, %v; want \"two\"", tt.umask, b, err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.want {
			t.Errorf("umask %03o: mode %v, want %v", tt.umask, got, tt.want)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			t.Errorf("umask %03o: %d files in the folder, want 1 (a temporary file left?)", tt.umask, len(ents))
		}
	}
}

// TestWriteFileMissingFolder: an error that names the path.
func TestWriteFileMissingFolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "out.gds")
	err := WriteFile(p, []byte("x"), 0o666)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("WriteFile into a missing folder: %v; want an error naming %s", err, p)
	}
}
