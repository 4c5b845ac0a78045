package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The owner's mark. A session is served only when this user wrote it on
// this machine: every sealed file the Store writes carries an HMAC-SHA256
// of its content under a secret key of the user's, kept in their
// configuration folder (os.UserConfigDir()/lywatch/session.key, 0600 in a
// 0700 folder). A checkout cannot hold that key, so a session committed to
// a repository, copied from another user or machine, or edited by hand is
// foreign: Load reports it with one *Warning wrapping ErrForeign, and the
// target is rebuilt.

// keyFileName is the key's file in the user's lywatch configuration folder.
const keyFileName = "session.key"

// keySize is the key's length in bytes (hex-encoded in its file).
const keySize = 32

// defaultKeyFile returns the user's key file.
func defaultKeyFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("session: no configuration folder for this user's session key (set HOME or XDG_CONFIG_HOME): %w", err)
	}
	return filepath.Join(dir, "lywatch", keyFileName), nil
}

// loadKey reads the key file p, making it first when create is set and it
// does not exist. It returns (nil, nil) for a missing file when create is
// not set. A key another user owns, or that others may read, is refused:
// whoever can read it can forge sessions.
func loadKey(p string, create bool) ([]byte, error) {
	key, err := readKey(p)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, nil
		}
		if err := makeKey(p); err != nil {
			return nil, fmt.Errorf("session: make the session key %s: %w", p, err)
		}
		key, err = readKey(p)
	}
	if err != nil {
		return nil, err
	}
	return key, nil
}

// readKey reads and checks an existing key file.
func readKey(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("session: key %s: %w", p, err)
	}
	if err := privateFile(fi); err != nil {
		return nil, fmt.Errorf("session: key %s %v; remove it, and lywatch makes a new one (the sessions it marked are rebuilt once)", p, err)
	}
	b := make([]byte, 2*keySize+2)
	n, _ := f.Read(b)
	key, err := hex.DecodeString(strings.TrimSpace(string(b[:n])))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("session: key %s is damaged (want %d hex digits); remove it, and lywatch makes a new one (the sessions it marked are rebuilt once)", p, 2*keySize)
	}
	return key, nil
}

// makeKey writes a new random key to p, atomically and exclusively: a
// complete file is linked into place, so a concurrent lywatch either makes
// the key or reads the one made.
func makeKey(p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	key := make([]byte, keySize)
	rand.Read(key)
	tmp, err := createTemp(filepath.Dir(p), "."+keyFileName+".tmp-", 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), p); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(p))
}

// The mark is the sealed file's member `"mark":"<hex HMAC-SHA256>"`, just
// before the checksum, over every byte before it.
const (
	markKey    = `,"mark":"`
	markHexLen = 2 * sha256.Size
	markLen    = len(markKey) + markHexLen + 1
)

// appendMark appends the mark of head under key.
func appendMark(head, key []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(head)
	head = append(head, markKey...)
	head = hex.AppendEncode(head, mac.Sum(nil))
	return append(head, '"')
}

// splitMark splits a mark off the end of a checked file's head: body is
// what it covers, mark its hex digits (nil when there is none).
func splitMark(head []byte) (body, mark []byte) {
	n := len(head)
	if n < markLen || head[n-1] != '"' || string(head[n-markLen:n-markLen+len(markKey)]) != markKey {
		return head, nil
	}
	return head[:n-markLen], head[n-markLen+len(markKey) : n-1]
}

// marked is what a sealed file says of its owner: the bytes its mark
// covers and the mark.
type marked struct {
	body, mark []byte
}

// errUnmarked and errWrongMark say why a file is not this user's.
var (
	errUnmarked  = errors.New("it carries no owner's mark (written by a lywatch older than this one, or not by lywatch)")
	errWrongMark = errors.New("its owner's mark does not match this user's key (written by another user or on another machine, copied, or edited)")
	errNoKey     = errors.New("this user has no session key yet, so has written no session")
)

// verify checks the mark under key; the error wraps ErrForeign.
func (m marked) verify(key []byte) error {
	switch {
	case key == nil:
		return fmt.Errorf("%w: not written by this user on this machine: %w", ErrForeign, errNoKey)
	case m.mark == nil:
		return fmt.Errorf("%w: not written by this user on this machine: %w", ErrForeign, errUnmarked)
	}
	got := make([]byte, sha256.Size)
	if _, err := hex.Decode(got, m.mark); err != nil {
		return fmt.Errorf("%w: not written by this user on this machine: %w", ErrForeign, errWrongMark)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(m.body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: not written by this user on this machine: %w", ErrForeign, errWrongMark)
	}
	return nil
}

// readOwned reads a session file, refusing one another user owns (its
// error wraps ErrForeign).
func readOwned(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := ownedByMe(fi); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForeign, err)
	}
	b := make([]byte, 0, fi.Size()+1)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
