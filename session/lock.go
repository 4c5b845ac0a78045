package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockName is the lock file inside the session directory.
const lockName = "lock"

// ErrLocked is wrapped by the error Open returns when another lywatch holds
// the session directory's lock.
var ErrLocked = errors.New("session is in use")

// Holder describes the process holding a session's lock, as it wrote it into
// the lock file.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Args    []string  `json:"args,omitempty"`
}

// String names the holder for people: "pid 1234 on host x, started 16:20:01 UTC".
func (h Holder) String() string {
	if h.PID == 0 {
		return "another process (its lock file names no holder)"
	}
	s := fmt.Sprintf("pid %d on host %s, started %s", h.PID, h.Host, h.Started.UTC().Format("2006-01-02 15:04:05 MST"))
	if len(h.Args) > 0 {
		s += " (" + strings.Join(h.Args, " ") + ")"
	}
	return s
}

// LockedError is returned by Open when the session directory is in use.
// errors.Is(err, ErrLocked) holds.
type LockedError struct {
	Dir    string
	Holder Holder
}

// Error says who holds the lock and how to proceed.
func (e *LockedError) Error() string {
	return fmt.Sprintf("session %s is in use by another lywatch: %s; stop it first, or give this one its own --session-dir", e.Dir, e.Holder)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// lock is a held session lock: an open lock file with an exclusive flock.
// flock locks belong to the open file description, so the kernel releases a
// lock whose holder died (even by SIGKILL): a stale lock cannot block, and
// two Opens of one directory in one process exclude each other as two
// processes do.
type lock struct {
	f *os.File
}

// acquireLock takes dir's lock without waiting, or returns a *LockedError
// naming the holder.
func acquireLock(dir string, args []string) (*lock, error) {
	p := filepath.Join(dir, lockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Dir: dir, Holder: readHolder(p)}
		}
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC(), Args: args}
	b, _ := json.Marshal(h)
	b = append(b, '\n')
	// The lock file is rewritten in place, never replaced: a rename would
	// give it a new inode and let a second process lock that one.
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(b, 0)
		if err == nil {
			err = f.Sync()
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	return &lock{f: f}, nil
}

// readHolder reads the holder from a lock file, retrying briefly while the
// holder may still be writing it.
func readHolder(p string) Holder {
	deadline := time.Now().Add(200 * time.Millisecond)
	for {
		var h Holder
		b, err := os.ReadFile(p)
		if err == nil && json.Unmarshal(b, &h) == nil && h.PID != 0 {
			return h
		}
		if time.Now().After(deadline) {
			return Holder{}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// release drops the lock. The file stays: removing it would race with a
// process that has just opened it.
func (l *lock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
