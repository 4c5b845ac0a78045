package runner

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// pollEvery is how often a stopping group is checked for being gone.
const pollEvery = 5 * time.Millisecond

// goneTimeout bounds the wait for a group after SIGKILL.
const goneTimeout = 10 * time.Second

// group is the process group of one build; pgid is the leader's pid.
type group struct {
	pgid  int
	grace time.Duration
	logf  func(format string, args ...any)
}

// alive reports whether any process of the group is left:
// kill(-pgid, 0) fails with ESRCH once none is.
func (g *group) alive() bool {
	err := syscall.Kill(-g.pgid, 0)
	return !errors.Is(err, syscall.ESRCH)
}

func (g *group) signal(sig syscall.Signal) {
	if err := syscall.Kill(-g.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		g.logf("signal %v to group %d: %v", sig, g.pgid, err)
	}
}

// reap collects exited members of the group that were re-parented to
// lywatch (see setSubreaper); it must run only after the leader has been
// waited for, so that it never takes the leader's status from exec.Cmd.
func (g *group) reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-g.pgid, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// stop ends the group: SIGTERM, up to grace for every member to exit, then
// SIGKILL. waited delivers when the leader's cmd.Wait returns (cmd then
// holds its ProcessState); nil means the leader was already waited for. stop returns once the leader
// is done; waitGone then waits for the rest.
func (g *group) stop(waited <-chan error) {
	leaderDone := waited == nil
	g.signal(syscall.SIGTERM)
	timer := time.NewTimer(g.grace)
	defer timer.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if leaderDone {
			g.reap()
			if !g.alive() {
				return
			}
		}
		select {
		case <-waited:
			leaderDone = true
			waited = nil
			continue
		case <-tick.C:
			continue
		case <-timer.C:
		}
		break
	}
	g.logf("group %d still running %s after SIGTERM: SIGKILL", g.pgid, FormatDuration(g.grace))
	g.signal(syscall.SIGKILL)
	if !leaderDone {
		<-waited
	}
}

// waitGone waits until no process of the group is left, reaping members
// re-parented to lywatch. The leader must have been waited for. Members
// still there a grace period later (they ignored SIGTERM) get SIGKILL.
func (g *group) waitGone() error {
	start := time.Now()
	killed := false
	for {
		g.reap()
		if !g.alive() {
			return nil
		}
		elapsed := time.Since(start)
		if !killed && elapsed >= g.grace {
			g.signal(syscall.SIGKILL)
			killed = true
		}
		if elapsed >= goneTimeout {
			return fmt.Errorf("process group %d still has processes %s after SIGKILL", g.pgid, goneTimeout)
		}
		time.Sleep(pollEvery)
	}
}
