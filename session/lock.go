package session

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	// Dir is the session directory the lock is for.
	Dir string `json:"dir,omitempty"`
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

// lock is a held session lock. It is two lock files, each held with an
// exclusive OS lock (flock, or LockFileEx on Windows):
//
//   - the user's lock, in the user's cache folder and named by the session
//     directory's absolute path, which deleting the session folder (make
//     clean, git clean -fdx) cannot take away;
//   - the local lock, the session directory's own "lock" file, which
//     excludes processes of other users (or other cache folders) and names
//     the holder for anyone who looks into the folder.
//
// OS locks belong to the open file, so the kernel releases the lock of a
// holder that died (even by SIGKILL): a stale lock cannot block, and two
// Opens of one directory in one process exclude each other as two
// processes do.
type lock struct {
	dir    string
	holder Holder
	user   *lockFile
	local  *lockFile
}

// lockFile is one held lock file.
type lockFile struct {
	f    *os.File
	path string
	// pid is set for the fallback lock on a file system without OS locks:
	// a file created exclusively, removed on release.
	pid bool
}

// errWouldBlock and errNoLocks are what tryLock reports for a file another
// process has locked and a file system that cannot lock.
var (
	errWouldBlock = errors.New("locked by another process")
	errNoLocks    = errors.New("file system does not support locks")
)

// userLockPath returns the user's lock file for the session directory dir
// (absolute, symbolic links resolved) inside lockDir.
func userLockPath(lockDir, dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(lockDir, hex.EncodeToString(sum[:16])+".lock")
}

// acquireLock takes dir's two locks without waiting, or returns a
// *LockedError naming the holder. lockDir is the user's lock folder.
func acquireLock(dir, lockDir string, args []string) (*lock, error) {
	if err := os.MkdirAll(lockDir, 0o700); err != nil {
		return nil, fmt.Errorf("session lock: %w", err)
	}
	// The session folder's real path names the user's lock, so that every
	// path to one folder (through symbolic links) finds the same lock, and
	// the folder made again after a deletion too.
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("session lock: %w", err)
	}
	h := newHolder(dir, args)
	l := &lock{dir: dir, holder: h}
	if l.user, err = takeLockFile(dir, userLockPath(lockDir, real), h); err != nil {
		return nil, err
	}
	if l.local, err = takeLockFile(dir, filepath.Join(dir, lockName), h); err != nil {
		l.user.release()
		return nil, err
	}
	return l, nil
}

// takeLockFile takes the lock file at p for the session directory dir.
// Where the file system cannot lock (an NFS mount with nolock), it falls
// back to a pid file created exclusively beside it.
func takeLockFile(dir, p string, h Holder) (*lockFile, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		switch {
		case errors.Is(err, errWouldBlock):
			return nil, &LockedError{Dir: dir, Holder: readHolder(p)}
		case errors.Is(err, errNoLocks):
			return acquirePidLock(dir, p+".pid", h)
		}
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	// The lock file is rewritten in place, never replaced: a rename would
	// give it a new inode and let a second process lock that one.
	if err := writeHolder(f, h); err != nil {
		f.Close()
		return nil, fmt.Errorf("session lock %s: %w", p, err)
	}
	return &lockFile{f: f, path: p}, nil
}

func newHolder(dir string, args []string) Holder {
	host, _ := os.Hostname()
	return Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC(), Args: args, Dir: dir}
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

// acquirePidLock takes the fallback lock, the pid file p. A pid file left
// by a process of this host that no longer runs is stale and taken over.
func acquirePidLock(dir, p string, h Holder) (*lockFile, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			if err := writeHolder(f, h); err != nil {
				f.Close()
				os.Remove(p)
				return nil, fmt.Errorf("session lock %s: %w", p, err)
			}
			return &lockFile{f: f, path: p, pid: true}, nil
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
	return processGone(h.PID)
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

// held reports whether the lock file is still the one at its path: false
// when it was deleted (with its folder, by make clean or git clean) or
// replaced.
func (lf *lockFile) held() bool {
	a, err := os.Stat(lf.path)
	if err != nil {
		return false
	}
	b, err := lf.f.Stat()
	return err == nil && os.SameFile(a, b)
}

// release drops the lock. A locked file stays: removing it would race with
// a process that has just opened it.
func (lf *lockFile) release() error {
	if lf == nil || lf.f == nil {
		return nil
	}
	if lf.pid {
		if lf.held() {
			os.Remove(lf.path)
		}
	} else {
		lf.f.Truncate(0)
	}
	err := lf.f.Close() // closing the last descriptor releases the OS lock
	lf.f = nil
	return err
}

// check makes sure the lock is still held, before the store writes. The
// user's lock cannot be lost; the local one goes when the session folder
// is deleted while lywatch runs, and is then taken again in the new
// folder. If another lywatch has taken it meanwhile (one of another user,
// which the user's lock does not exclude), check returns its
// *LockedError and the store must not write.
func (l *lock) check() error {
	if l.local.held() {
		return nil
	}
	if err := os.MkdirAll(l.dir, dirPerm); err != nil {
		return fmt.Errorf("session: the session folder was deleted and cannot be made again: %w", err)
	}
	local, err := takeLockFile(l.dir, filepath.Join(l.dir, lockName), l.holder)
	if err != nil {
		return fmt.Errorf("session: the session folder was deleted while this lywatch ran, and its lock cannot be taken again: %w", err)
	}
	l.local.release()
	l.local = local
	return nil
}

// release drops both locks.
func (l *lock) release() error {
	if l == nil {
		return nil
	}
	err := l.local.release()
	if uerr := l.user.release(); err == nil {
		err = uerr
	}
	return err
}
