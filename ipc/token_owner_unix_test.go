//go:build unix

package ipc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenFileOfAnotherUserIsRefused: a token file another user owns is
// refused, mode 0600 or not (only its owner could have made it so), with
// the remedy; root can read it, and lywatch still does not use it.
func TestTokenFileOfAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skipf("giving a file to another user needs root (CI runs as root); running as uid %d", os.Geteuid())
	}
	const other = 65534
	t.Setenv(TokenEnv, "")
	path := filepath.Join(t.TempDir(), "lywatch", "token")
	t.Setenv(TokenFileEnv, path)
	if _, err := LoadToken(); err != nil {
		t.Fatalf("first LoadToken: %v", err)
	}
	if err := os.Chown(path, other, other); err != nil {
		t.Fatal(err)
	}
	for _, create := range []bool{false, true} {
		tok, err := ReadTokenFile(path, create)
		if err == nil {
			t.Fatalf("ReadTokenFile(create %v) of a file owned by uid %d = %q, want an error", create, other, tok)
		}
		for _, w := range []string{path, "belongs to another user (uid 65534)", "delete it"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
	if _, err := LoadToken(); err == nil || !strings.Contains(err.Error(), "another user") {
		t.Errorf("LoadToken with another user's token file: %v, want refused", err)
	}
}
