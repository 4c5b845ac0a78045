package runner

import (
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is a started build as Run sees it, whichever way the platform runs
// it: supervised by lywatch itself (local) or by a guard process (Unix).
type proc interface {
	// stop asks the build to end: terminate, grace, kill. It returns at
	// once and may be called more than once.
	stop()
	// done is closed once the build's first process has exited and no
	// process of its tree is left (or clean-up gave up, see result).
	done() <-chan struct{}
	// result is the exit status of the build's first process, and an error
	// when its tree could not be cleaned up; valid once done is closed.
	result() (code int, sig syscall.Signal, err error)
}

// local is a build supervised from inside lywatch: lywatch is the parent
// of its first process and watches its tree.
type local struct {
	cmd      *exec.Cmd
	stopc    chan struct{}
	stopOnce sync.Once
	donec    chan struct{}
	err      error // from supervise; written before donec closes
}

// newLocal supervises cmd, which has been started, and whose processes
// t holds. release, if set, runs once the tree is gone.
func newLocal(cmd *exec.Cmd, t tree, grace time.Duration, logf func(string, ...any), release func()) *local {
	l := &local{cmd: cmd, stopc: make(chan struct{}), donec: make(chan struct{})}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	go func() {
		l.err = supervise(t, exited, l.stopc, grace, logf)
		<-exited
		if release != nil {
			release()
		}
		close(l.donec)
	}()
	return l
}

func (l *local) stop() { l.stopOnce.Do(func() { close(l.stopc) }) }

func (l *local) done() <-chan struct{} { return l.donec }

func (l *local) result() (int, syscall.Signal, error) {
	code, sig := exitStatus(l.cmd.ProcessState)
	return code, sig, l.err
}

// exitStatus turns the state cmd.Wait left into an exit code and signal.
func exitStatus(ps *os.ProcessState) (int, syscall.Signal) {
	if ps == nil {
		return -1, 0
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal()
	}
	return ps.ExitCode(), 0
}
