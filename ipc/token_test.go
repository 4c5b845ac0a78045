package ipc

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestTokenFile(t *testing.T) {
	t.Setenv(TokenEnv, "")
	t.Setenv(TokenFileEnv, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	path, err := TokenPath()
	if err != nil {
		t.Fatal(err)
	}
	first, err := LoadToken()
	if err != nil || len(first) != 64 {
		t.Fatalf("first LoadToken: %q, %v", first, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := os.Stat(filepath.Dir(path))
	if runtime.GOOS != "windows" && (st.Mode().Perm() != 0o600 || dir.Mode().Perm() != 0o700) {
		t.Errorf("token file mode %v, folder %v; want 0600 and 0700", st.Mode().Perm(), dir.Mode().Perm())
	}
	if again, err := LoadToken(); err != nil || again != first {
		t.Errorf("second LoadToken: %q, %v; want the same token", again, err)
	}
	t.Setenv(TokenEnv, strings.Repeat("e", 40))
	if tok, _ := LoadToken(); tok != strings.Repeat("e", 40) {
		t.Errorf("$%s not used: %q", TokenEnv, tok)
	}
	t.Setenv(TokenEnv, "short")
	if _, err := LoadToken(); err == nil {
		t.Error("a short $LYWATCH_TOKEN accepted")
	}
	if runtime.GOOS == "windows" {
		return
	}
	os.Chmod(path, 0o644)
	if _, err := ReadTokenFile(path, true); err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Errorf("a world-readable token file: %v, want the chmod remedy", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("abc\n"), 0o600)
	if _, err := ReadTokenFile(path, true); err == nil {
		t.Error("a short token accepted")
	}
	// A first line past the bound is refused, not cut short in silence.
	os.WriteFile(path, []byte(strings.Repeat("a", maxTokenLine+1)), 0o600)
	if tok, err := ReadTokenFile(path, true); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a %d-byte first line: token of %d bytes, %v; want an error", maxTokenLine+1, len(tok), err)
	}
	os.WriteFile(path, []byte(strings.Repeat("a", maxTokenLine)+"\n"), 0o600)
	if tok, err := ReadTokenFile(path, true); err != nil || len(tok) != maxTokenLine {
		t.Errorf("a %d-byte first line: token of %d bytes, %v; want all of it", maxTokenLine, len(tok), err)
	}
}
