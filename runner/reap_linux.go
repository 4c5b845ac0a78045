package runner

import "golang.org/x/sys/unix"

// setSubreaper makes this process the parent of every orphan its builds
// leave, instead of PID 1, so that their exits can be collected (reap)
// and kill(-pgid, 0) reports the group gone. Where PID 1 does not reap
// (some containers) the orphans would otherwise stay zombies and keep the
// group.
func setSubreaper() {
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}
