package testsupport

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// listTree returns dir's files and folders as slash paths relative to dir,
// folders with a trailing slash, sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"build.py":                   "print('top')\n",
		".gitignore":                 "build/\n",
		"pkg/mod.py":                 "x = 1\n",
		"pkg/sub/data.txt":           "data",
		"pkg/build/out.gds":          "nested build output",
		"pkg/__pycache__/mod.pyc":    "cache",
		"build/chip.gds":             "top build output",
		"__pycache__/build.pyc":      "cache",
		".lywatch/state.json":        "{}",
		"pkg/builder/keep.py":        "kept: only exact names are skipped\n",
		"pkg/sub/empty/.placeholder": "",
	}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("build.py", filepath.Join(src, "link.py")); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "copy")
	CopyTree(t, src, dst)

	want := []string{
		".gitignore",
		"build.py",
		"pkg/",
		"pkg/builder/",
		"pkg/builder/keep.py",
		"pkg/mod.py",
		"pkg/sub/",
		"pkg/sub/data.txt",
		"pkg/sub/empty/",
		"pkg/sub/empty/.placeholder",
	}
	if got := listTree(t, dst); !slices.Equal(got, want) {
		t.Fatalf("copied tree:\n got %q\nwant %q", got, want)
	}
	for _, name := range want {
		p := filepath.Join(dst, filepath.FromSlash(name))
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() {
			if perm := fi.Mode().Perm(); perm != 0o755&^umask(t) {
				t.Errorf("%s: mode %v, want 0755 (less umask)", name, perm)
			}
			continue
		}
		if perm := fi.Mode().Perm(); perm != 0o644&^umask(t) {
			t.Errorf("%s: mode %v, want 0644 (less umask)", name, perm)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != files[name] {
			t.Errorf("%s: content %q, want %q", name, b, files[name])
		}
	}
}

// umask returns the process's file-creation mask, found by making a file.
func umask(t *testing.T) fs.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(p, nil, 0o777); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ fi.Mode().Perm()
}

func TestCopyTreeMissingSourceFails(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		CopyTree(ft, filepath.Join(t.TempDir(), "absent"), t.TempDir())
	}()
	<-done
	if !ft.failed {
		t.Fatal("CopyTree of a missing folder did not fail the test")
	}
}

// fatalRecorder records a Fatal instead of failing the real test.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed = true
	runtime.Goexit()
}

func TestCopyPDK(t *testing.T) {
	dir := CopyPDK(t)
	for _, name := range []string{"build.py", "mypdk"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("copied PDK lacks %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "build")); !os.IsNotExist(err) {
		t.Errorf("copied PDK has its build folder: %v", err)
	}
}
