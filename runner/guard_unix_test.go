//go:build unix

package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"golang.org/x/sys/unix"
)

// parentEnv makes the test binary a stand-in for lywatch (see TestMain):
// it runs the shell script in the variable under a guard, in the current
// directory, and waits.
const parentEnv = "LYWATCH_RUNNER_TEST_PARENT"

// runParent is the stand-in lywatch's main; its build takes a spare guard,
// and another is started meanwhile.
func runParent(script string) int {
	r := &Runner{Stdout: os.Stdout, Stderr: os.Stderr, Guard: Self(), Grace: 200 * time.Millisecond}
	r.Prepare()
	defer r.Close()
	res := r.Run(context.Background(), Request{Command: []string{"sh", "-c", script}, Events: []byte(`{}`)})
	if !res.OK() {
		return 1
	}
	return 0
}

// readPids reads the pid files the scripts below write.
func readPids(t *testing.T, dir string, names ...string) map[string]int {
	t.Helper()
	pids := map[string]int{}
	for _, n := range names {
		pid, err := strconv.Atoi(waitFile(t, filepath.Join(dir, n)))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		pids[n] = pid
	}
	return pids
}

// waitAllGone waits until every pid is gone (or a zombie), failing the
// test with those left after 10 s (which it then kills, by pid).
func waitAllGone(t *testing.T, pids map[string]int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	defer func() {
		for _, pid := range pids {
			if !processGone(pid) {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
	}()
	for {
		var left []string
		for n, pid := range pids {
			if !processGone(pid) {
				left = append(left, fmt.Sprintf("%s (pid %d)", n, pid))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("still running: %s", strings.Join(left, ", "))
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// build is a script whose processes all write their pids: the guard (its
// parent), itself, a background sleep, and a subshell that would write the
// file "written" after a second.
const build = `echo $PPID > guard; echo $$ > leader
sleep 1000 & echo $! > sleeper
(sleep 1; echo late > written) & echo $! > writer
wait`

// TestGuardDiesWithParent: when the process running the builds is killed
// with SIGKILL, the guard stops the build's whole group: every process of
// it is gone, by pid, and the file it would write later never appears; the
// spare guard started meanwhile is gone too.
func TestGuardDiesWithParent(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), parentEnv+"="+build)
	var out testsupport.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pids := readPids(t, dir, "guard", "leader", "sleeper", "writer")
	if pids["guard"] == cmd.Process.Pid {
		t.Errorf("the build's parent is the stand-in lywatch (pid %d), not a guard", cmd.Process.Pid)
	}
	for name, pid := range waitGuardChildren(t, cmd.Process.Pid, 2) { // the build's and a spare
		pids[name] = pid
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	waitAllGone(t, pids)
	if _, err := os.Stat(filepath.Join(dir, "written")); err == nil {
		t.Error("the build wrote its file after its parent was killed")
	}
}

// TestGuardProcesses: the guard is the build's parent, in a process group
// of neither lywatch's nor the build's, and gone when Run returns.
func TestGuardProcesses(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	r := newRunner(&out)
	r.Dir, r.Guard = dir, Self()
	res := r.Run(context.Background(), Request{Command: []string{"sh", "-c", `echo $PPID > guard; echo $$ > leader; ps -o pgid= -p $PPID > guard.pgid`}})
	if !res.OK() {
		t.Fatalf("got %+v\n%s", res, out.String())
	}
	pids := readPids(t, dir, "guard", "leader", "guard.pgid")
	if pids["guard"] == os.Getpid() {
		t.Fatal("the build's parent is the test, not a guard")
	}
	if pg := pids["guard.pgid"]; pg == syscall.Getpgrp() || pg == pids["leader"] {
		t.Errorf("guard's process group %d: want neither the test's (%d) nor the build's (%d)", pg, syscall.Getpgrp(), pids["leader"])
	}
	if !processGone(pids["guard"]) {
		t.Errorf("guard (pid %d) still there after Run returned", pids["guard"])
	}
}

// TestGuardKilledOrSignalled: a guard killed by someone else leaves Run to
// stop the group itself, with an error saying so; a guard sent SIGTERM
// stops the build.
func TestGuardKilledOrSignalled(t *testing.T) {
	tests := []struct {
		sig     syscall.Signal
		wantErr string
	}{
		{syscall.SIGKILL, "guard ended"},
		{syscall.SIGTERM, ""},
	}
	for _, tt := range tests {
		t.Run(tt.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			var out testsupport.Buffer
			r := newRunner(&out)
			r.Dir, r.Guard = dir, Self()
			done := make(chan *Result, 1)
			go func() { done <- r.Run(context.Background(), Request{Command: []string{"sh", "-c", build}}) }()
			pids := readPids(t, dir, "guard", "leader", "sleeper", "writer")
			unix.Kill(pids["guard"], tt.sig)
			var res *Result
			select {
			case res = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("Run did not return")
			}
			if res.OK() || (tt.wantErr == "") != (res.Err == nil) || (res.Err != nil && !strings.Contains(res.Err.Error(), tt.wantErr)) {
				t.Errorf("got %+v, want a failed build with error %q", res, tt.wantErr)
			}
			waitAllGone(t, pids)
		})
	}
}

// TestNotAGuard: a Guard that is no guard is a start error naming the
// remedy, not a hang.
func TestNotAGuard(t *testing.T) {
	for _, guard := range []string{"/bin/true", "/nonexistent/lywatch"} {
		var out testsupport.Buffer
		r := newRunner(&out)
		r.Guard = guard
		res := r.Run(context.Background(), Request{Command: []string{"true"}})
		if res.Err == nil || !strings.Contains(res.Err.Error(), guard) {
			t.Errorf("Guard %s: got %+v, want an error naming it", guard, res)
		}
	}
}

// TestExtraFiles: files given to start reach the build as descriptors 3,
// 4, ..., through the guard too, and no other of lywatch's descriptors
// (the guard's life and status pipes) does.
func TestExtraFiles(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		var out testsupport.Buffer
		r := newRunner(&out)
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer null.Close()
		script := `echo on3 >&3; if (: >&4) 2>/dev/null; then echo fd4 open >&3; fi`
		p, err := r.start([]string{"sh", "-c", script}, os.Environ(), null, null, "", []*os.File{pw})
		pw.Close()
		if err != nil {
			t.Fatal(err)
		}
		<-p.done()
		got, _ := io.ReadAll(pr)
		if string(got) != "on3\n" {
			t.Errorf("the build wrote %q on its descriptor 3; want \"on3\\n\" alone", got)
		}
	})
}
