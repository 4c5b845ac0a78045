package session

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// newRoot makes a project root holding .git and the given files.
func newRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "proj")
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), content)
	}
	return root
}

func writeFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// oldTime is a modification time far from the racy window.
var oldTime = time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)

// ageFiles sets every file under root to oldTime so stat caches hold.
func ageFiles(t *testing.T, root string, paths []string) {
	t.Helper()
	for _, p := range paths {
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(p)), oldTime, oldTime); err != nil {
			t.Fatal(err)
		}
	}
}

// openStore opens the default session directory of root.
func openStore(t *testing.T, root string, opts Options) *Store {
	t.Helper()
	opts.Root = root
	s, err := Open(DefaultDir(root), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testManifest builds a manifest tracking paths under root, with two cells.
func testManifest(t testing.TB, root string, paths []string, gen int) *Manifest {
	t.Helper()
	files, err := HashFiles(context.Background(), root, paths)
	if err != nil {
		t.Fatal(err)
	}
	return &Manifest{
		Files:     files,
		Functions: map[string]string{"pdk.helpers.width": "f1"},
		Factories: map[string]Factory{"straight": {Hash: "h1", File: "pdk/straight.py"}},
		Cells: []Cell{
			{Name: "TOP", Local: "l0", Deep: fmt.Sprintf("d%d", gen), Children: []string{"straight_L10"}},
			{Name: "straight_L10", Local: "l1", Deep: "s1", Factory: "straight"},
		},
		Meta: map[string]string{"gen": fmt.Sprint(gen)},
	}
}

// layoutFile writes a fake layout (its bytes are never parsed here).
func layoutFile(t testing.TB, dir string, gen, size int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("out-%d.gds", gen))
	writeFile(t, p, layoutContent(gen, size))
	return p
}

func layoutContent(gen, size int) string {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "layout generation %d record %d\n", gen, i)
	}
	return b.String()
}

// gunzipFile returns the decompressed content of a .gz file.
func gunzipFile(t testing.TB, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return string(b)
}
