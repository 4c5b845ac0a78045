package session

import (
	"context"
	"errors"
	"os"
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
