package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	f       *os.File
	pidFile string // set for the fallback pid-file lock
}

// acquireLock takes dir's lock without waiting, or returns a *LockedError
// naming the holder. Where the file system has no flock (an NFS mount with
// nolock), it falls back to an exclusively created pid file.
func acquireLock(dir string, args []string) (*lock, error) {
	p := filepath.Join(dir, lockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		switch {
		case errors.Is(err, syscall.EWOULDBLOCK):
			return nil, &LockedError{Dir: dir, Holder: readHolder(p)}
		case errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EOPNOTSUPP):
			return acquirePidLock(dir, newHolder(args))
		}
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	// The lock file is rewritten in place, never replaced: a rename would
	// give it a new inode and let a second process lock that one.
	if err := writeHolder(f, newHolder(args)); err != nil {
		f.Close()
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	return &lock{f: f}, nil
}

func newHolder(args []string) Holder {
	host, _ := os.Hostname()
	return Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC(), Args: args}
}

func writeHolder(f *os.File, h Holder) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// pidLockName is the fallback lock: a file created exclusively.
const pidLockName = "lock.pid"

// acquirePidLock takes the fallback lock. A pid file left by a process of
// this host that no longer runs is stale and taken over.
func acquirePidLock(dir string, h Holder) (*lock, error) {
	p := filepath.Join(dir, pidLockName)
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			if err := writeHolder(f, h); err != nil {
				f.Close()
				os.Remove(p)
				return nil, fmt.Errorf("session lock %s: %w", p, err)
			}
			return &lock{f: f, pidFile: p}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("session lock %s: %w", p, err)
		}
		holder := readHolder(p)
		if attempt > 0 || !staleHolder(holder, h.Host) {
			return nil, &LockedError{Dir: dir, Holder: holder}
		}
		os.Remove(p)
	}
}

// staleHolder reports whether a lock's holder is a process of this host
// that has exited (or a lock file naming nobody).
func staleHolder(h Holder, host string) bool {
	if h.PID <= 0 {
		return true
	}
	if h.Host != host {
		return false // cannot tell: another machine's process
	}
	return errors.Is(syscall.Kill(h.PID, 0), syscall.ESRCH)
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
	if l.pidFile != "" {
		os.Remove(l.pidFile)
	} else {
		l.f.Truncate(0)
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
