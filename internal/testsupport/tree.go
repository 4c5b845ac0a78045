package testsupport

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// skippedDir reports whether CopyTree leaves a directory out: build
// outputs, Python caches and lywatch's own state.
func skippedDir(name string) bool {
	switch name {
	case "build", "__pycache__", ".lywatch":
		return true
	}
	return false
}

// CopyTree copies the source tree src into dst, leaving out every directory
// named build, __pycache__ or .lywatch. Directories are made with mode 0755,
// regular files are written with mode 0644; anything else (symlinks, sockets)
// is left out. The test fails on any error.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && skippedDir(d.Name()) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

// CopyPDK copies the example PDK (testdata/pdk, without build outputs and
// caches) to a fresh temporary folder and returns it. The test is skipped
// where the PDK is absent.
func CopyPDK(t testing.TB) string {
	t.Helper()
	src := filepath.Join(Root(t), "testdata", "pdk")
	if _, err := os.Stat(filepath.Join(src, "mypdk")); err != nil {
		t.Skipf("example PDK not found at %s: %v", src, err)
	}
	dst := t.TempDir()
	CopyTree(t, src, dst)
	return dst
}
