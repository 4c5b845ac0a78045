//go:build unix

package runner

import (
	"bytes"
	"context"
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

// sparePid returns the pid of r's ready spare guard, 0 when there is none.
func sparePid(r *Runner) int {
	r.spares.mu.Lock()
	defer r.spares.mu.Unlock()
	if r.spares.ready == nil {
		return 0
	}
	return r.spares.ready.cmd.Process.Pid
}

// waitSpare waits until r has a ready spare other than not, and returns
// its pid.
func waitSpare(t *testing.T, r *Runner, not int) int {
	t.Helper()
	var pid int
	waitFor(t, "a spare guard", func() bool {
		pid = sparePid(r)
		return pid != 0 && pid != not
	})
	return pid
}

// preparedRunner returns a Runner under the test binary as its guard,
// prepared (a spare is ready) and closed when the test ends.
func preparedRunner(t *testing.T, out *testsupport.Buffer) *Runner {
	t.Helper()
	r := newRunner(out)
	r.Guard = Self()
	if err := r.Prepare(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// sparedBuild is what a build run by start saw and did.
type sparedBuild struct {
	stdout, stderr, fd3 string
	code                int
	sig                 syscall.Signal
	err                 error
	guard               int // its parent
}

// startAndWait runs argv with start, stdout, stderr and a pipe as its
// descriptor 3, and returns what came of it.
func startAndWait(t *testing.T, r *Runner, argv, env []string) sparedBuild {
	t.Helper()
	pipes := make([][2]*os.File, 3)
	for i := range pipes {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pipes[i] = [2]*os.File{pr, pw}
	}
	read := make([]chan string, 3)
	for i := range pipes {
		read[i] = make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(pipes[i][0])
			pipes[i][0].Close()
			read[i] <- string(b)
		}()
	}
	p, err := r.start(argv, env, pipes[0][1], pipes[1][1], "", []*os.File{pipes[2][1]})
	for i := range pipes {
		pipes[i][1].Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	<-p.done()
	var b sparedBuild
	b.code, b.sig, b.err = p.result()
	b.stdout, b.stderr, b.fd3 = <-read[0], <-read[1], <-read[2]
	if g, ok := p.(*guarded); ok {
		b.guard = g.guard.Process.Pid
	}
	return b
}

// TestSpareSameAsGuard: a build handed to a spare guard gets the argv,
// environment (PATH finding its program among them), directory, stdout,
// stderr and descriptor 3 a build under a guard started for it gets, and
// ends with the same status.
func TestSpareSameAsGuard(t *testing.T) {
	const preamble = "#!/bin/sh\nprintf 'argv %s|%s|%s\\n' \"$(basename \"$0\")\" \"$1\" \"$2\"; echo \"dir $(pwd)\"; echo \"var $SPARE_TEST\"; echo \"big ${#SPARE_BIG}\"; echo stderr >&2\n"
	tests := []struct {
		name   string
		script string
		want   sparedBuild
	}{
		{"exit 0", "exit 0", sparedBuild{}},
		{"exit 3", "exit 3", sparedBuild{code: 3}},
		{"killed by a signal", "kill -TERM $$", sparedBuild{code: -1, sig: syscall.SIGTERM}},
		{"reads its environment", `printf '%s' "$SPARE_TEST" >&3`, sparedBuild{fd3: "a b\nc"}},
		{"writes to descriptor 3", "echo on3 >&3; if (: >&4) 2>/dev/null; then echo fd4 open >&3; fi", sparedBuild{fd3: "on3\n"}},
	}
	dir, bin := t.TempDir(), t.TempDir()
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The program is found on the build's PATH, not the test's; its
	// environment is past a pipe's buffer (64 KiB).
	big := strings.Repeat("x", ChangedLimit)
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "SPARE_TEST=a b\nc", "SPARE_BIG="+big)
	argv := []string{"spare-test-build", "one two", ""}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(bin, argv[0]), []byte(preamble+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var out testsupport.Buffer
			guarded := newRunner(&out)
			guarded.Dir, guarded.Guard = dir, Self()
			spared := preparedRunner(t, &out)
			spared.Dir = dir
			spare := sparePid(spared)
			got := map[string]sparedBuild{
				"guard started for it": startAndWait(t, guarded, argv, env),
				"spare guard":          startAndWait(t, spared, argv, env),
			}
			if g := got["spare guard"].guard; g != spare {
				t.Errorf("the build's guard is pid %d, want the spare, pid %d", g, spare)
			}
			want := tt.want
			want.stdout = "argv spare-test-build|one two|\ndir " + dir + "\nvar a b\nc\nbig " + strconv.Itoa(len(big)) + "\n"
			want.stderr = "stderr\n"
			for how, b := range got {
				b.guard = 0
				if b != want {
					t.Errorf("under a %s: got %+v, want %+v\n%s", how, b, want, out.String())
				}
			}
		})
	}
}

// TestSpareTakenOnce: a build takes the ready spare, which is gone when the
// build is; another is started meanwhile, and the next build takes it.
func TestSpareTakenOnce(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	r := preparedRunner(t, &out)
	r.Dir = dir
	spare := sparePid(r)
	if spare == 0 {
		t.Fatal("no spare guard after Prepare")
	}
	var guards []int
	for i := range 2 {
		res := r.Run(context.Background(), Request{Command: []string{"sh", "-c", "echo $PPID > guard"}})
		if !res.OK() {
			t.Fatalf("build %d: %+v\n%s", i+1, res, out.String())
		}
		guard := readPids(t, dir, "guard")["guard"]
		os.Remove(filepath.Join(dir, "guard"))
		if guard != spare {
			t.Errorf("build %d ran under pid %d, want the spare, pid %d", i+1, guard, spare)
		}
		if !processGone(guard) {
			t.Errorf("build %d's guard (pid %d) still there after Run returned", i+1, guard)
		}
		guards = append(guards, guard)
		spare = waitSpare(t, r, guard)
	}
	if guards[0] == guards[1] {
		t.Errorf("both builds ran under pid %d", guards[0])
	}
}

// TestSpareClose: Close ends the spare and starts no other; builds still
// run, under guards started for them.
func TestSpareClose(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	r := preparedRunner(t, &out)
	r.Dir = dir
	spare := sparePid(r)
	r.Close()
	if !processGone(spare) {
		t.Errorf("spare guard (pid %d) still there after Close", spare)
	}
	res := r.Run(context.Background(), Request{Command: []string{"sh", "-c", "echo $PPID > guard"}})
	if !res.OK() {
		t.Fatalf("build after Close: %+v\n%s", res, out.String())
	}
	if guard := readPids(t, dir, "guard")["guard"]; guard == spare || guard == os.Getpid() {
		t.Errorf("the build ran under pid %d: want a guard started for it", guard)
	}
	time.Sleep(spareDelay + 100*time.Millisecond) // a spare started after the build would be there by now
	if pid := sparePid(r); pid != 0 {
		t.Errorf("spare guard (pid %d) started after Close", pid)
	}
}

// TestSpareDied: a build whose spare is gone (killed) gets a guard started
// for it, and a new spare is started.
func TestSpareDied(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	r := preparedRunner(t, &out)
	r.Dir = dir
	spare := sparePid(r)
	unix.Kill(spare, unix.SIGKILL)
	waitFor(t, "the spare to die", func() bool { return processGone(spare) })
	res := r.Run(context.Background(), Request{Command: []string{"sh", "-c", "echo $PPID > guard"}})
	if !res.OK() {
		t.Fatalf("build: %+v\n%s", res, out.String())
	}
	guard := readPids(t, dir, "guard")["guard"]
	if guard == spare || guard == os.Getpid() {
		t.Errorf("the build ran under pid %d: want a guard started for it", guard)
	}
	waitSpare(t, r, spare)
}

// TestSpareExitsOnEOF: a spare whose socket reaches EOF without a message
// exits at once, with status 0, having run nothing.
func TestSpareExitsOnEOF(t *testing.T) {
	sp, err := startSpare(Self())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sp.conn.Close()
	if err := sp.cmd.Wait(); err != nil {
		t.Errorf("spare exited with %v, want 0", err)
	}
	if took := time.Since(start); took > spareExitTimeout/2 {
		t.Errorf("spare took %s to exit after EOF", took)
	}
}

// TestSpareRejectsBadMessages: a spare sent a message it cannot read runs
// nothing and says why on its status pipe.
func TestSpareRejectsBadMessages(t *testing.T) {
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"cut short", []byte{0, 0, 0, 9, 0, 0}, "unexpected EOF"},
		{"bad body", []byte{0, 0, 0, 4, 0, 0, 0, 7}, "spare guard message"},
		{"not a guard's arguments", mustEncode(t, spareMsg{args: []string{"x"}}), "want " + GuardArg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, err := startSpare(Self())
			if err != nil {
				t.Fatal(err)
			}
			statR, statW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer statR.Close()
			null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer null.Close()
			fds := unix.UnixRights(int(null.Fd()), int(null.Fd()), int(null.Fd()), int(statW.Fd()))
			if _, _, err := sp.conn.WriteMsgUnix(tt.msg, fds, nil); err != nil {
				t.Fatal(err)
			}
			statW.Close()
			sp.conn.Close()
			status, _ := io.ReadAll(statR)
			werr := sp.cmd.Wait()
			if werr == nil || !bytes.Contains(status, []byte(tt.want)) {
				t.Errorf("spare exited with %v and said %q; want a failure saying %q", werr, status, tt.want)
			}
		})
	}
}

func mustEncode(t *testing.T, m spareMsg) []byte {
	t.Helper()
	b, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// guardChildren returns the pids of the lywatch-guard processes whose
// parent is ppid (from ps).
func guardChildren(t *testing.T, ppid int) []int {
	t.Helper()
	out, err := exec.Command("ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "args=").Output()
	if err != nil {
		t.Fatalf("ps: %v", err)
	}
	var pids []int
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[2] != "lywatch-guard" || f[1] != strconv.Itoa(ppid) {
			continue
		}
		if pid, err := strconv.Atoi(f[0]); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitGuardChildren waits until ppid has at least n lywatch-guard
// children, and returns them by name: "guard 1", "guard 2", ...
func waitGuardChildren(t *testing.T, ppid, n int) map[string]int {
	t.Helper()
	var pids []int
	waitFor(t, strconv.Itoa(n)+" lywatch-guard processes", func() bool {
		pids = guardChildren(t, ppid)
		return len(pids) >= n
	})
	named := map[string]int{}
	for i, pid := range pids {
		named["lywatch-guard "+strconv.Itoa(i+1)] = pid
	}
	return named
}

// TestWarmThroughSpare: a warm worker's interpreter may be started by a
// spare guard, and serves the builds that follow as under any guard.
func TestWarmThroughSpare(t *testing.T) {
	g := newWarmRig(t, Self(), map[string]string{"build.py": "import os\nprint('pid', os.getpid())\nprint('guard', os.getppid())\n"})
	if err := g.r.Prepare(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.r.Close)
	spare := sparePid(g.r)
	req := Request{Command: []string{"python3", "build.py"}}
	res, out := g.run(req)
	if !res.OK() || res.Worker != WorkerNew {
		t.Fatalf("first build: %v (%q)\n%s", res, res.Worker, out)
	}
	if !strings.Contains(out, "guard "+strconv.Itoa(spare)+"\n") {
		t.Errorf("the worker's guard is not the spare (pid %d):\n%s", spare, out)
	}
	res, out2 := g.run(req)
	if !res.OK() || res.Worker != WorkerWarm || pidOf(t, out2) != pidOf(t, out) {
		t.Errorf("second build: %v (%q), want the same worker\n%s", res, res.Worker, out2)
	}
}
