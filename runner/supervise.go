package runner

import (
	"fmt"
	"time"
)

// pollEvery is how often a stopping tree is checked for being gone.
const pollEvery = 5 * time.Millisecond

// goneTimeout bounds the wait for a tree after it was killed.
const goneTimeout = 10 * time.Second

// tree is every process of one build, as the platform keeps them together:
// a process group on Unix, a Job Object on Windows.
type tree interface {
	// terminate asks every process to end (SIGTERM to the group); it
	// returns false when they could not be asked, so that waiting for them
	// is pointless.
	terminate() bool
	// kill ends every process at once (SIGKILL to the group).
	kill()
	// alive reports whether any process is left.
	alive() bool
	// reap collects the exits of processes that ended, so that they stop
	// counting as alive; it runs only once the leader's exit is known.
	reap()
	// String names the tree in messages: "process group 1234".
	String() string
}

// supervise watches one build's tree until no process of it is left and
// returns then. exited is closed once the leader's exit has been collected;
// closing stop asks the tree to end. Processes the leader leaves behind are
// ended the same way as a stopped build: terminate, up to grace for every
// process to exit, then kill. The error says that processes were still
// there goneTimeout after the kill.
func supervise(t tree, exited, stop <-chan struct{}, grace time.Duration, logf func(string, ...any)) error {
	select {
	case <-exited:
		t.reap()
		if !t.alive() {
			return nil
		}
		logf("stopping processes left in %s", t)
	case <-stop:
	}
	return end(t, exited, grace, logf)
}

// end terminates t, waits up to grace for its leader to exit and every
// process to be gone, then kills what is left and waits for that.
func end(t tree, exited <-chan struct{}, grace time.Duration, logf func(string, ...any)) error {
	if t.terminate() && waitGone(t, exited, grace) {
		return nil
	}
	logf("%s still running %s after SIGTERM (CTRL_BREAK on Windows): killing it", t, FormatDuration(grace))
	t.kill()
	if waitGone(t, exited, goneTimeout) {
		return nil
	}
	return fmt.Errorf("%s still has processes %s after SIGKILL", t, goneTimeout)
}

// waitGone polls until the leader has exited and no process of t is left
// (true), or until d has passed (false).
func waitGone(t tree, exited <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			exited = nil // the leader is done: only the others are polled for
		default:
		}
		if exited == nil {
			t.reap()
			if !t.alive() {
				return true
			}
		}
		select {
		case <-exited:
		case <-tick.C:
		case <-timer.C:
			return false
		}
	}
}
