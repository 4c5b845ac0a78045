package session

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestGraphStoredApart(t *testing.T) {
	root := newRoot(t, map[string]string{"pdk/a.py": "a = 1\n"})
	ageFiles(t, root, []string{"pdk/a.py"})
	layout := layoutFile(t, t.TempDir(), 1, 100)
	s := openStore(t, root, Options{})
	graphs := []string{`{"version":1,"files":["one"]}`, `{"version":1,"files":["two"]}`}
	for i, g := range graphs {
		m := testManifest(t, root, []string{"pdk/a.py"}, i)
		m.Graph = []byte(g)
		if err := s.Save("default", m, layout); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load("default")
		if err != nil || got == nil {
			t.Fatalf("load: %v", err)
		}
		if got.Graph != nil || got.GraphFile.File == "" {
			t.Fatalf("Load read the graph (%d bytes) or lost its file (%q)", len(got.Graph), got.GraphFile.File)
		}
		b, err := s.LoadGraph("default", got)
		if err != nil || string(b) != g {
			t.Fatalf("LoadGraph = %q, %v; want %q", b, err, g)
		}
	}
	// Only the committed manifest's graph is kept.
	files, _ := filepath.Glob(filepath.Join(s.TargetDir("default"), "graph-*.json"))
	if len(files) != 1 {
		t.Errorf("graph files %q, want one", files)
	}
	// A damaged graph is a warning, never a wrong graph.
	m, _ := s.Load("default")
	p := filepath.Join(s.TargetDir("default"), m.GraphFile.File)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte("two"), []byte("twp"), 1), 0o644)
	if g, err := s.LoadGraph("default", m); g != nil || !IsWarning(err) {
		t.Errorf("bit-flipped graph: %q, %v; want a warning", g, err)
	}
	os.Remove(p)
	if g, err := s.LoadGraph("default", m); g != nil || !IsWarning(err) {
		t.Errorf("missing graph: %q, %v; want a warning", g, err)
	}
}

// TestLayoutSourceHash: Save records the SHA-256 of the layout file as given,
// for both plain and already-compressed layouts.
func TestLayoutSourceHash(t *testing.T) {
	root := newRoot(t, map[string]string{"pdk/a.py": "a = 1\n"})
	ageFiles(t, root, []string{"pdk/a.py"})
	s := openStore(t, root, Options{})
	plain := layoutFile(t, t.TempDir(), 1, 5000)
	for _, src := range []string{plain, gzipCopy(t, plain)} {
		if err := s.Save("default", testManifest(t, root, []string{"pdk/a.py"}, 1), src); err != nil {
			t.Fatal(err)
		}
		m, err := s.Load("default")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(src)
		if sum := sha256.Sum256(b); m.Layout.Source != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: Layout.Source = %q, want the file's SHA-256", filepath.Base(src), m.Layout.Source)
		}
	}
}

func gzipCopy(t *testing.T, src string) string {
	t.Helper()
	b, _ := os.ReadFile(src)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	p := src + ".gz"
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
