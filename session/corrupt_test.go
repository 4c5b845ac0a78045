package session

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// savedSession returns an open store with one saved target and a
// dependencies file.
func savedSession(t *testing.T) (*Store, string) {
	t.Helper()
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	if err := s.Save("chip", testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 2000)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDependencies(Dependencies{"chip": {"lib"}}); err != nil {
		t.Fatal(err)
	}
	return s, root
}

// loadFile loads what a damaged file belongs to and returns the result.
func loadFile(s *Store, name string) (any, error) {
	if name == depsName {
		d, err := s.LoadDependencies()
		if d == nil {
			return nil, err
		}
		return d, err
	}
	m, err := s.Load("chip")
	if m == nil {
		return nil, err
	}
	return m, err
}

func sessionFiles(s *Store) map[string]string {
	return map[string]string{
		manifestName: filepath.Join(s.TargetDir("chip"), manifestName),
		cellsName:    s.LayoutPath("chip"),
		depsName:     filepath.Join(s.Dir(), depsName),
	}
}

// wantWarning checks that a damaged file loads as empty with a warning.
func wantWarning(t *testing.T, s *Store, name, what string) {
	t.Helper()
	got, err := loadFile(s, name)
	if got != nil || !IsWarning(err) {
		t.Fatalf("%s %s: load = %v, %v; want nothing and a warning", name, what, got, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s %s: warning is not one line: %q", name, what, err)
	}
}

// damageEach calls damage with each session file's name, path and
// content, then puts the content back and checks that it loads again.
func damageEach(t *testing.T, s *Store, damage func(name, p string, orig []byte)) {
	t.Helper()
	for name, p := range sessionFiles(s) {
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		damage(name, p, orig)
		writeFile(t, p, string(orig))
		if got, err := loadFile(s, name); got == nil || err != nil {
			t.Fatalf("%s restored: %v, %v", name, got, err)
		}
	}
}

func TestTruncatedFiles(t *testing.T) {
	s, _ := savedSession(t)
	damageEach(t, s, func(name, p string, orig []byte) {
		for _, n := range []int{0, 1, len(orig) / 3, len(orig) / 2, len(orig) - 2, len(orig) - 1} {
			writeFile(t, p, string(orig[:n]))
			wantWarning(t, s, name, "truncated to "+strconv.Itoa(n))
		}
		writeFile(t, p, string(orig)+"x")
		wantWarning(t, s, name, "with a byte appended")
	})
}

func TestBitFlippedFiles(t *testing.T) {
	s, _ := savedSession(t)
	damageEach(t, s, func(name, p string, orig []byte) {
		// Flip in place (no truncation, which makes ext4 flush on close).
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		step := 1
		if testing.Short() {
			step = 7 // a spread of bits, every bit position
		}
		for bit := 0; bit < 8*len(orig); bit += step {
			i := bit / 8
			if _, err := f.WriteAt([]byte{orig[i] ^ 1<<(bit%8)}, int64(i)); err != nil {
				t.Fatal(err)
			}
			wantWarning(t, s, name, "with bit "+strconv.Itoa(bit)+" flipped")
			if _, err := f.WriteAt(orig[i:i+1], int64(i)); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	})
}

func TestUnknownVersion(t *testing.T) {
	s, _ := savedSession(t)
	for _, name := range []string{manifestName, depsName} {
		p := sessionFiles(s)[name]
		orig, _ := os.ReadFile(p)
		format := manifestFormat
		if name == depsName {
			format = depsFormat
		}
		// A correctly sealed file of a future version.
		b := resealVersion(t, orig, format, FormatVersion+1)
		writeFile(t, p, string(b))
		_, err := loadFile(s, name)
		wantWarning(t, s, name, "of a future version")
		if !errors.Is(err, ErrUnknownVersion) {
			t.Errorf("%s: warning %v does not wrap ErrUnknownVersion", name, err)
		}
		writeFile(t, p, string(orig))
	}
}

// resealVersion rewrites a sealed file with another version number.
func resealVersion(t *testing.T, b []byte, format string, version int) []byte {
	t.Helper()
	head := b[:len(b)-len(sealMid)-sealHexLen-len(sealEnd)]
	old := []byte(`,"version":` + strconv.Itoa(FormatVersion) + `,`)
	if !bytes.Contains(head, old) {
		t.Fatalf("no version in %.80s", head)
	}
	head = bytes.Replace(head, old, []byte(`,"version":`+strconv.Itoa(version)+`,`), 1)
	return sealHead(head)
}

func TestMissingLayoutIsWarning(t *testing.T) {
	s, _ := savedSession(t)
	os.Remove(s.LayoutPath("chip"))
	wantWarning(t, s, manifestName, "without its layout")
}
