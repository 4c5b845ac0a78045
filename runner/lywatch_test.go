//go:build unix

package runner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"golang.org/x/sys/unix"
)

// startLywatch starts the lywatch binary bin in dir, in a process group of
// its own, with $TMPDIR set to tmp, on the shell build script. Its output
// goes to a file (so that Wait never waits for a pipe); output reads it.
// exited is closed when lywatch has exited; *werr is then Wait's error.
func startLywatch(t *testing.T, bin, dir, tmp, script string) (cmd *exec.Cmd, output func() string, exited <-chan struct{}, werr *error) {
	t.Helper()
	return startLywatchArgs(t, bin, dir, tmp, "--", "sh", "-c", script)
}

// startLywatchArgs is startLywatch with more flags and any command: args
// follow lywatch's own flags.
func startLywatchArgs(t *testing.T, bin, dir, tmp string, args ...string) (cmd *exec.Cmd, output func() string, exited <-chan struct{}, werr *error) {
	t.Helper()
	cmd = exec.Command(bin, append([]string{"--no-push", "--no-config", "--no-session", "--no-color"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	name := filepath.Join(t.TempDir(), "output")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	werr = new(error)
	go func() {
		*werr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	output = func() string {
		b, _ := os.ReadFile(name)
		return string(b)
	}
	return cmd, output, done, werr
}

// TestLywatchBinary runs the real lywatch: killed with SIGKILL it leaves no
// process of its build, no guard (spare or not) and no events file, and
// the build never writes what it was to write later; sent SIGINT or
// SIGTERM with a build that ignores SIGTERM and a daemon keeping the
// build's output, it exits within the grace period and a small margin.
func TestLywatchBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the lywatch binary")
	}
	bin := filepath.Join(t.TempDir(), "lywatch")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/lywatch/lywatch/cmd/lywatch").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("kill -9", func(t *testing.T) {
		dir, tmp := t.TempDir(), t.TempDir()
		cmd, out, exited, _ := startLywatch(t, bin, dir, tmp, build)
		pids := readPids(t, dir, "guard", "leader", "sleeper", "writer")
		for name, pid := range waitGuardChildren(t, cmd.Process.Pid, 2) { // the build's and a spare
			pids[name] = pid
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		waitAllGone(t, pids)
		if _, err := os.Stat(filepath.Join(dir, "written")); err == nil {
			t.Error("the build wrote its file after lywatch was killed")
		}
		entries, _ := os.ReadDir(tmp)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "lywatch-events-") {
				t.Errorf("%s left in $TMPDIR", e.Name())
			}
		}
		if t.Failed() {
			t.Log(out())
		}
	})

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(unix.SignalName(sig)+" with a stuck build", func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			t.Cleanup(func() { killDaemon(t, dir) })
			script := `trap '' TERM; ` + daemon + ` echo $PPID > guard; echo $$ > leader; sleep 1000 & echo $! > sleeper; wait; wait`
			cmd, out, exited, werr := startLywatch(t, bin, dir, tmp, script)
			pids := readPids(t, dir, "guard", "leader", "sleeper", "daemon")
			delete(pids, "daemon") // it left the build's group: not lywatch's to stop
			sent := time.Now()
			cmd.Process.Signal(sig)
			limit := DefaultGrace + 1500*time.Millisecond
			select {
			case <-exited:
				if took := time.Since(sent); took > limit {
					t.Errorf("lywatch took %s to exit after %s, want under %s (grace %s)", took, unix.SignalName(sig), limit, DefaultGrace)
				} else {
					t.Logf("lywatch exited %s after %s", took.Round(time.Millisecond), unix.SignalName(sig))
				}
				if *werr != nil {
					t.Errorf("lywatch exited with %v, want 0", *werr)
				}
			case <-time.After(limit + 10*time.Second):
				unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
				t.Fatalf("lywatch still running %s after %s\n%s", limit+10*time.Second, unix.SignalName(sig), out())
			}
			waitAllGone(t, pids)
			if t.Failed() {
				t.Log(out())
			}
		})
	}

	// A warm worker (its python3, and a process its build left) ends with
	// lywatch: on Ctrl-C, and on kill -9 through its guard.
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run("warm worker, "+sig.String(), func(t *testing.T) {
			testsupport.Python3(t)
			dir, tmp := t.TempDir(), t.TempDir()
			entry := "import os, subprocess\nopen('worker.tmp', 'w').write('%d\\n' % os.getpid())\nos.rename('worker.tmp', 'worker')\n" +
				"p = subprocess.Popen(['sleep', '1000'])\nopen('child.tmp', 'w').write('%d\\n' % p.pid)\nos.rename('child.tmp', 'child')\n"
			if err := os.WriteFile(filepath.Join(dir, "build.py"), []byte(entry), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd, out, exited, _ := startLywatchArgs(t, bin, dir, tmp, "--warm", "--", "python3", "build.py")
			t.Cleanup(func() {
				if t.Failed() {
					t.Log(out())
				}
			})
			pids := readPids(t, dir, "worker", "child")
			waitFor(t, "the warm build's status", func() bool { return strings.Contains(out(), "build exit 0 in ") })
			cmd.Process.Signal(sig)
			select {
			case <-exited:
			case <-time.After(DefaultGrace + 10*time.Second):
				t.Fatalf("lywatch still running after %v\n%s", sig, out())
			}
			waitAllGone(t, pids)
		})
	}
}
