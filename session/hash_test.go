package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestHashFilesSizes(t *testing.T) {
	root := t.TempDir()
	var paths []string
	// Around the single-read buffer (128 KiB) and empty; many of them so
	// the parallel path runs.
	sizes := []int{0, 1, 4095, 128<<10 - 1, 128 << 10, 128<<10 + 1, 1 << 20}
	for i := range 40 {
		size := sizes[i%len(sizes)]
		rel := filepath.ToSlash(filepath.Join("d", strings.Repeat("x", i%3+1), "f"+string(rune('a'+i%26))+string(rune('a'+i/26))))
		writeFile(t, filepath.Join(root, rel), strings.Repeat("abcdefg\n", size/8+1)[:size])
		paths = append(paths, rel)
	}
	files, err := HashFiles(context.Background(), root, paths)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		b, _ := os.ReadFile(filepath.Join(root, paths[i]))
		sum := sha256.Sum256(b)
		if f.Path != paths[i] || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: got %s, want %x", paths[i], f.SHA256, sum)
		}
	}
	if _, err := HashFiles(context.Background(), root, []string{"missing.py"}); err == nil || !strings.Contains(err.Error(), "missing.py") {
		t.Errorf("missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := HashFiles(ctx, root, paths); err == nil {
		t.Error("HashFiles ignored a cancelled context")
	}
}

func TestFileTableRoundTrip(t *testing.T) {
	files := []File{
		{Path: "a.py", SHA256: "00ff", Size: 1, MtimeNS: 2, Inode: 3},
		{Path: "odd dir/100%\t\"q\"\\\n.py", SHA256: "ab", Size: -1, MtimeNS: -5},
		{Path: "é/ü.py", SHA256: "cd"},
		{Path: "bad\xffutf8.py", SHA256: "ef", Inode: 1 << 63},
	}
	b, err := appendFileTable(nil, files)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(b), "\"\n\t") {
		t.Errorf("table needs JSON escaping: %q", b)
	}
	got, err := parseFileTable(b)
	if err != nil || !reflect.DeepEqual(got, files) {
		t.Fatalf("round trip: %v\n got %q\nwant %q", err, got, files)
	}
	if _, err := appendFileTable(nil, []File{{Path: "x", SHA256: "a\"b"}}); err == nil {
		t.Error("a hash with a quote was accepted")
	}
	for _, bad := range []string{`a\tb`, `a\tb\tc\td\te\tf\n`, `a\tb\tx\t1\t1\n`, `a%zz\tb\t1\t1\t1\n`, `a%2\tb\t1\t1\t1\n`} {
		if _, err := parseFileTable([]byte(bad)); err == nil {
			t.Errorf("parseFileTable(%q) accepted", bad)
		}
	}
}

func TestRefreshFiles(t *testing.T) {
	root := newRoot(t, srcFiles)
	files, err := HashFiles(context.Background(), root, srcPaths())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "pdk/helpers.py"), "def width(): return 1\n")
	writeFile(t, filepath.Join(root, "pdk/new.py"), "x = 1\n")
	os.Remove(filepath.Join(root, "scripts/build.py"))
	got, err := RefreshFiles(context.Background(), root, files, []string{"pdk/helpers.py", "pdk/new.py", "scripts/build.py"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got {
		names = append(names, f.Path)
	}
	if want := []string{"pdk/__init__.py", "pdk/helpers.py", "pdk/new.py", "pdk/straight.py"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("paths %v, want %v", names, want)
	}
	if got[1].SHA256 == files[1].SHA256 {
		t.Error("the changed file kept its old hash")
	}
}
