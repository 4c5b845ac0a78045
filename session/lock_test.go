package session

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecondOpenRefusedNamingHolder(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{Args: []string{"lywatch", "--", "make"}})
	_, err := Open(DefaultDir(root), Options{Root: root})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v; want a *LockedError", err)
	}
	host, _ := os.Hostname()
	if le.Holder.PID != os.Getpid() || le.Holder.Host != host || time.Since(le.Holder.Started) > time.Minute {
		t.Errorf("holder = %+v", le.Holder)
	}
	if msg := err.Error(); !strings.Contains(msg, "pid "+strconv.Itoa(os.Getpid())) || !strings.Contains(msg, "started") || !strings.Contains(msg, "lywatch -- make") {
		t.Errorf("message does not name the holder: %s", msg)
	}
	s.Close()
	s2, err := Open(DefaultDir(root), Options{Root: root})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestLockHeldByOtherProcess(t *testing.T) {
	root := newRoot(t, srcFiles)
	dir := DefaultDir(root)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, out, stop := startChild(ctx, t, "holdlock", childDirEnv+"="+dir, childRootEnv+"="+root)
	defer stop()
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("child: %q %v", out.Text(), out.Err())
	}
	_, err := Open(dir, Options{Root: root})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != cmd.Process.Pid || !strings.Contains(err.Error(), "holder-test") {
		t.Fatalf("Open while another process holds the lock: %v", err)
	}
	// A holder killed outright leaves no stale lock behind.
	cmd.Process.Kill()
	cmd.Wait()
	s, err := Open(dir, Options{Root: root})
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	s.Close()
}

func TestReadOnlyReaderDuringSaves(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{HistoryFrames: 3})
	tmp := t.TempDir()
	if err := s.Save("chip", testManifest(t, root, srcPaths(), 0), layoutFile(t, tmp, 0, 50_000)); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(DefaultDir(root), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Save("chip", testManifest(t, root, srcPaths(), 0), layoutFile(t, tmp, 0, 10)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Save on a read-only store: %v", err)
	}
	var (
		ms   []*Manifest
		lays []string
	)
	for gen := 1; gen <= 25; gen++ {
		ms = append(ms, testManifest(t, root, srcPaths(), gen))
		lays = append(lays, layoutFile(t, tmp, gen, 50_000))
	}
	done := make(chan error)
	go func() {
		for i := range ms {
			if err := s.Save("chip", ms[i], lays[i]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	loads := 0
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if loads == 0 {
				t.Log("the saves ended before any read")
			}
			return
		default:
		}
		m, err := ro.Load("chip")
		if err != nil || m == nil {
			t.Fatalf("read-only Load during saves: %v, %v", m, err)
		}
		loads++
	}
}

func TestPidFileLockFallback(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	me := Holder{PID: os.Getpid(), Host: host, Started: time.Now(), Args: []string{"first"}}
	pidFile := filepath.Join(dir, "lock.pid")
	l, err := acquirePidLock(dir, pidFile, me)
	if err != nil {
		t.Fatal(err)
	}
	_, err = acquirePidLock(dir, pidFile, me)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != os.Getpid() || le.Holder.Args[0] != "first" {
		t.Fatalf("second pid lock: %v", err)
	}
	l.release()
	l, err = acquirePidLock(dir, pidFile, me)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.release()

	// A pid file left by a dead process of this host is stale.
	dead := exec.Command(os.Args[0], "-test.run=^$")
	dead.Env = append(os.Environ(), childEnv+"=none")
	dead.Run()
	writeFile(t, pidFile, `{"pid":`+strconv.Itoa(dead.Process.Pid)+`,"host":"`+host+`"}`)
	l, err = acquirePidLock(dir, pidFile, me)
	if err != nil {
		t.Fatalf("stale pid file from dead pid %d: %v", dead.Process.Pid, err)
	}
	l.release()
	// One from another host is not presumed dead.
	writeFile(t, pidFile, `{"pid":1,"host":"elsewhere.example"}`)
	if _, err := acquirePidLock(dir, pidFile, me); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "elsewhere.example") {
		t.Errorf("pid file of another host: %v", err)
	}
}

// TestLockSurvivesFolderDeletion deletes the session folder (as make clean
// or git clean -fdx would) while another process holds the session, and
// checks that a second Open is still refused, naming that process.
func TestLockSurvivesFolderDeletion(t *testing.T) {
	root := newRoot(t, srcFiles)
	dir := DefaultDir(root)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, out, stop := startChild(ctx, t, "holdlock", childDirEnv+"="+dir, childRootEnv+"="+root)
	defer stop()
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("child: %q %v", out.Text(), out.Err())
	}
	if err := os.RemoveAll(filepath.Join(root, "build")); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{Root: root})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != cmd.Process.Pid {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open after the session folder of a running lywatch was deleted: %v; want a *LockedError naming pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	s, err = Open(dir, Options{Root: root})
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	s.Close()
}

// TestLockTakenAgainAfterDeletion: a store whose session folder was
// deleted takes the folder's lock again at its next write; when another
// lywatch (one the user's lock does not exclude: another user's) took the
// new folder first, the write is refused, naming it.
func TestLockTakenAgainAfterDeletion(t *testing.T) {
	root := newRoot(t, srcFiles)
	dir := DefaultDir(root)
	a := openStore(t, root, Options{})
	save := func(s *Store, gen int) error {
		return s.Save("chip", testManifest(t, root, srcPaths(), gen), layoutFile(t, t.TempDir(), gen, 100))
	}
	if err := save(a, 1); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "build"))
	if err := save(a, 2); err != nil {
		t.Fatalf("save after the folder was deleted: %v", err)
	}
	// The folder's lock is held again: another user's lywatch is refused.
	if _, err := Open(dir, Options{Root: root, LockDir: t.TempDir()}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open by another user after the lock was taken again: %v", err)
	}
	os.RemoveAll(filepath.Join(root, "build"))
	b, err := Open(dir, Options{Root: root, LockDir: t.TempDir(), Args: []string{"other-user"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = save(a, 3)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "other-user") || !strings.Contains(err.Error(), "deleted") {
		t.Fatalf("save after another lywatch took the new folder: %v; want a refusal naming it", err)
	}
}
