//go:build unix

package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// otherUID is the user the files are given to: nobody.
const otherUID = 65534

// chownToOther gives path to otherUID, skipping the test unless it runs as
// root (CI does): only root may give a file away.
func chownToOther(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("giving a file to another user needs root (CI runs as root); running as uid %d", os.Geteuid())
	}
	if err := os.Lchown(path, otherUID, otherUID); err != nil {
		t.Fatalf("chown %s: %v", path, err)
	}
}

// TestOtherUsersSessionFilesAreRefused: a session file another user owns
// (the manifest, the stored layout, the session key) is refused, with an
// error that says whose it is, whatever its content and mark: root can
// read it, and lywatch still does not trust it.
func TestOtherUsersSessionFilesAreRefused(t *testing.T) {
	owned := "is owned by uid 65534, not by this user (uid 0)"
	// load opens the session and loads chip's manifest.
	load := func(root, keyFile string) (*Store, *Manifest, error) {
		s, err := Open(DefaultDir(root), Options{Root: root, KeyFile: keyFile})
		if err != nil {
			return nil, nil, err
		}
		m, err := s.Load("chip")
		if err == nil && m == nil {
			err = errors.New("no manifest")
		}
		return s, m, err
	}
	tests := []struct {
		name string
		file func(dir, keyFile string) string // the file given away
		use  func(t *testing.T, root, keyFile string) error
		want []string // in use's error once the file is another user's
	}{
		{
			name: "manifest",
			file: func(dir, _ string) string { return filepath.Join(dir, targetsDir, "chip", manifestName) },
			use: func(t *testing.T, root, keyFile string) error {
				s, _, err := load(root, keyFile)
				if s != nil {
					s.Close()
				}
				if err != nil && !(IsWarning(err) && errors.Is(err, ErrForeign)) {
					t.Errorf("not a foreign-session warning: %v", err)
				}
				return err
			},
			want: []string{"foreign session", manifestName, owned},
		},
		{
			name: "stored layout",
			file: func(dir, _ string) string { return filepath.Join(dir, targetsDir, "chip", cellsName) },
			use: func(t *testing.T, root, keyFile string) error {
				s, m, err := load(root, keyFile)
				if err != nil {
					return err
				}
				defer s.Close()
				dst := filepath.Join(t.TempDir(), "chip.gds")
				err = s.RestoreLayout(context.Background(), "chip", m, dst)
				if _, serr := os.Stat(dst); err != nil && serr == nil {
					t.Errorf("restore failed (%v), yet wrote %s", err, dst)
				}
				return err
			},
			want: []string{"foreign session", cellsName, owned},
		},
		{
			name: "session key",
			file: func(_, keyFile string) string { return keyFile },
			use: func(t *testing.T, root, keyFile string) error {
				s, _, err := load(root, keyFile)
				if s != nil {
					s.Close()
				}
				return err
			},
			want: []string{"session: key", owned, "remove it"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t, srcFiles)
			ageFiles(t, root, srcPaths())
			keyFile := filepath.Join(t.TempDir(), "lywatch", keyFileName)
			s, err := Open(DefaultDir(root), Options{Root: root, KeyFile: keyFile})
			if err != nil {
				t.Fatal(err)
			}
			err = s.SaveLayout("chip", testManifest(t, root, srcPaths(), 1), realGDS(t))
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.use(t, root, keyFile); err != nil {
				t.Fatalf("before the file was given away: %v", err)
			}
			chownToOther(t, tc.file(DefaultDir(root), keyFile))
			err = tc.use(t, root, keyFile)
			if err == nil {
				t.Fatalf("a %s owned by uid %d was accepted", tc.name, otherUID)
			}
			t.Logf("refused: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
