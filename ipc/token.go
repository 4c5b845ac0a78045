package ipc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TokenEnv names the environment variable that, when set, holds the token
// itself (for a container or a build machine that cannot read the file).
const TokenEnv = "LYWATCH_TOKEN"

// TokenFileEnv names the environment variable that points at another token
// file; the server macro reads the same variable.
const TokenFileEnv = "LYWATCH_TOKEN_FILE"

// minTokenLen is the shortest token accepted (the server refuses shorter).
const minTokenLen = 32

// TokenPath returns the token file: $LYWATCH_TOKEN_FILE, else
// <user config dir>/lywatch/token (~/.config/lywatch/token on Linux), the
// file the server macro reads too.
func TokenPath() (string, error) {
	if p := os.Getenv(TokenFileEnv); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return filepath.Join(dir, "lywatch", "token"), nil
}

// LoadToken returns the user's token: $LYWATCH_TOKEN when set, else the
// token file's, the file created with a fresh random token (mode 0600) on
// first use.
func LoadToken() (string, error) {
	if t := strings.TrimSpace(os.Getenv(TokenEnv)); t != "" {
		if len(t) < minTokenLen {
			return "", fmt.Errorf("$%s holds %d characters, want at least %d", TokenEnv, len(t), minTokenLen)
		}
		return t, nil
	}
	path, err := TokenPath()
	if err != nil {
		return "", err
	}
	return ReadTokenFile(path, true)
}

// maxTokenLine bounds the first line of a token file.
const maxTokenLine = 4096

// ReadTokenFile reads the token in path (its first line). With create, a
// missing file is made with a fresh random token, mode 0600, in a folder of
// mode 0700. A file that other users can read, or that another user owns, is
// refused with the remedy.
func ReadTokenFile(path string, create bool) (string, error) {
	if create {
		if err := createToken(path); err != nil {
			return "", err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	if err := privateFile(path, st); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenLine+1))
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	tok, _, found := strings.Cut(string(b), "\n")
	if !found && len(b) > maxTokenLine {
		// Not cut short in silence: the server would read another token.
		return "", fmt.Errorf("token file %s: its first line is longer than %d bytes: delete it and run 'lywatch klayout token'", path, maxTokenLine)
	}
	tok = strings.TrimSpace(tok)
	if len(tok) < minTokenLen {
		return "", fmt.Errorf("token file %s holds no token of at least %d characters: delete it and run 'lywatch klayout token'", path, minTokenLen)
	}
	return tok, nil
}

func createToken(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	var raw [32]byte
	rand.Read(raw[:])
	_, err = f.WriteString(hex.EncodeToString(raw[:]) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("token: %w", err)
	}
	return nil
}
