//go:build unix

package runner

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"golang.org/x/sys/unix"
)

// daemon is a shell line that starts a process leaving the build's process
// group (setsid) and keeping its stdout and stderr: the pipes lywatch reads
// stay open after the build is gone. It writes its pid to the file daemon.
const daemon = `setsid sh -c 'echo $$ > daemon.tmp; mv daemon.tmp daemon; exec sleep 30' &
	while [ ! -e daemon ]; do sleep 0.01; done;`

// runWithin runs req and fails the test if Run does not return within d.
func runWithin(t *testing.T, ctx context.Context, r *Runner, req Request, d time.Duration) (*Result, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan *Result, 1)
	go func() { done <- r.Run(ctx, req) }()
	select {
	case res := <-done:
		return res, time.Since(start)
	case <-time.After(d):
		t.Fatalf("Run did not return within %s", d)
		return nil, 0
	}
}

// killDaemon ends the daemon the build left (its pid is in dir/daemon)
// and waits until it is gone.
func killDaemon(t *testing.T, dir string) {
	pid, err := strconv.Atoi(waitFile(t, filepath.Join(dir, "daemon")))
	if err != nil {
		t.Errorf("daemon pid: %v", err)
		return
	}
	unix.Kill(-pid, unix.SIGKILL)
	unix.Kill(pid, unix.SIGKILL)
	waitFor(t, "the daemon to be gone", func() bool { return processGone(pid) })
}

// waitFor waits until cond holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDaemonHoldingOutput: a build whose daemon keeps its stdout open has
// its status once its own process group is gone; the daemon's pipes are
// given up with one line saying so.
func TestDaemonHoldingOutput(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		dir := t.TempDir()
		var out testsupport.Buffer
		r := newRunner(&out)
		r.Dir = dir
		t.Cleanup(func() { killDaemon(t, dir) })
		res, took := runWithin(t, context.Background(), r, Request{Command: []string{"sh", "-c", daemon + ` echo built`}}, 10*time.Second)
		if !res.OK() {
			t.Fatalf("got %+v, want ok\n%s", res, out.String())
		}
		if took > 5*time.Second {
			t.Errorf("Run took %s", took)
		}
		got := out.String()
		for _, want := range []string{"[build] built\n", "build: output still held open", "build exit 0 in "} {
			if !strings.Contains(got, want) {
				t.Errorf("output lacks %q:\n%s", want, got)
			}
		}
		if n := strings.Count(got, "held open"); n != 1 {
			t.Errorf("%d lines about the held pipes, want 1:\n%s", n, got)
		}
	})
}

// TestStopWithDaemonHoldingOutput: a build that ignores SIGTERM and whose
// daemon keeps its stdout is stopped within the grace period (and a short
// drain): cancelling its context always ends it.
func TestStopWithDaemonHoldingOutput(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		dir := t.TempDir()
		var out testsupport.Buffer
		r := newRunner(&out)
		r.Dir = dir
		t.Cleanup(func() { killDaemon(t, dir) })
		ctx, cancel := context.WithCancel(context.Background())
		script := `trap '' TERM; ` + daemon + ` sleep 1000 & echo $! > pid; wait; wait`
		done := make(chan struct{})
		var res *Result
		var took time.Duration
		go func() {
			defer close(done)
			res, took = runWithin(t, ctx, r, Request{Command: []string{"sh", "-c", script}}, 15*time.Second)
		}()
		pid, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "pid")))
		waitFile(t, filepath.Join(dir, "daemon"))
		stopped := time.Now()
		cancel()
		<-done
		if res == nil {
			return
		}
		took = time.Since(stopped)
		if !res.Stopped {
			t.Errorf("got %+v, want stopped", res)
		}
		if limit := r.Grace + drainTimeout + time.Second; took > limit {
			t.Errorf("stopping took %s, want under %s (grace %s)", took, limit, r.Grace)
		}
		if !processGone(pid) {
			t.Errorf("sleep (pid %d) outlived its stopped build", pid)
		}
		if !strings.Contains(out.String(), "build stopped in") {
			t.Errorf("no status line:\n%s", out.String())
		}
	})
}

// processState reads the state letter of /proc/PID/stat ("" when gone).
func processState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}
