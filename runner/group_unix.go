//go:build unix

package runner

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// group is the process group of one build; pgid is its first process's
// pid. It is the tree of a build on Unix.
type group struct {
	pgid int
	// reapFn collects exited members (nil: those of the group that are
	// children of this process, see reapGroup).
	reapFn func()
	logf   func(format string, args ...any)
}

func (g *group) String() string { return fmt.Sprintf("process group %d", g.pgid) }

// alive reports whether any process of the group is left:
// kill(-pgid, 0) fails with ESRCH once none is.
func (g *group) alive() bool {
	err := unix.Kill(-g.pgid, 0)
	return !errors.Is(err, unix.ESRCH)
}

func (g *group) terminate() bool {
	g.signal(unix.SIGTERM)
	return true
}

func (g *group) kill() { g.signal(unix.SIGKILL) }

func (g *group) signal(sig unix.Signal) {
	if err := unix.Kill(-g.pgid, sig); err != nil && !errors.Is(err, unix.ESRCH) && g.logf != nil {
		g.logf("signal %v to %s: %v", sig, g, err)
	}
}

func (g *group) reap() {
	if g.reapFn != nil {
		g.reapFn()
		return
	}
	reapGroup(g.pgid)
}

// reapGroup collects exited members of group pgid that were re-parented to
// this process (see setSubreaper); it must run only after the leader has
// been waited for, so that it never takes the leader's status from
// exec.Cmd.
func reapGroup(pgid int) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-pgid, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}

// startLocal runs argv in a process group of its own, supervised from
// lywatch itself.
func (r *Runner) startLocal(argv, env []string, stdout, stderr *os.File, extra []*os.File) (proc, error) {
	setSubreaper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = r.Dir
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	g := &group{pgid: cmd.Process.Pid, logf: r.logf}
	return newLocal(cmd, g, r.grace(), r.logf, nil), nil
}
