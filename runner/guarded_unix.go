//go:build unix

package runner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// guardStartTimeout bounds the wait for a guard to say it started the
// build.
const guardStartTimeout = 10 * time.Second

// guarded is a build run by a guard process (see GuardMain): the guard is
// the parent of the build and supervises its group; lywatch holds the
// write end of the guard's life pipe and reads its status pipe.
type guarded struct {
	guard    *exec.Cmd
	life     *os.File
	grace    time.Duration
	logf     func(string, ...any)
	stopOnce sync.Once
	donec    chan struct{}

	// Written by follow before donec closes.
	pgid   int
	code   int
	sig    syscall.Signal
	exited bool
	err    error
}

// errSpareGone is the error of a build handed to a spare guard that is
// gone: it never started the build, which gets a guard of its own.
var errSpareGone = errors.New("spare guard gone")

// startGuarded starts argv under the guard r.Guard: the spare guard, when
// one is ready (see Runner.Prepare), else a guard started for it. remove
// is a file the guard removes when it exits ("" for none); extra are files
// the guard passes on to the build as its descriptors 3, 4, ...
func (r *Runner) startGuarded(argv, env []string, stdout, stderr *os.File, remove string, extra []*os.File) (proc, error) {
	spec := guardSpec{grace: r.grace(), remove: remove, files: len(extra), argv: argv}
	defer r.replenish() // the next build's, once this one has started
	if sp := r.spares.take(); sp != nil && sp.path != r.Guard {
		go sp.close() // Guard changed since it was started; not waited for
	} else if sp != nil {
		p, err := r.startGuard(spec, env, stdout, stderr, extra, sp)
		if !errors.Is(err, errSpareGone) {
			return p, err
		}
		r.logf("%v: starting a guard for the build", err)
	}
	return r.startGuard(spec, env, stdout, stderr, extra, nil)
}

// startGuard starts the build spec under a guard: the spare sp, or, when
// sp is nil, one started now. It returns once the guard has started the
// build.
func (r *Runner) startGuard(spec guardSpec, env []string, stdout, stderr *os.File, extra []*os.File, sp *spare) (proc, error) {
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	statR, statW, err := os.Pipe()
	if err != nil {
		lifeR.Close()
		lifeW.Close()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	var cmd *exec.Cmd
	if sp != nil {
		cmd = sp.cmd
		m := spareMsg{args: spec.args(), dir: r.Dir, env: env}
		err = sp.hand(m, append([]*os.File{stdout, stderr, lifeR, statW}, extra...))
		if err != nil {
			go sp.close() // not waited for: the build needs its guard now
			err = fmt.Errorf("%w: %v", errSpareGone, err)
		}
	} else {
		cmd = exec.Command(r.Guard, spec.args()...)
		cmd.Args[0] = "lywatch-guard" // as ps shows it
		cmd.Dir, cmd.Env = r.Dir, env
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.ExtraFiles = append([]*os.File{lifeR, statW}, extra...) // lifeFD, statusFD, then extra
		// A group of its own: Ctrl-C and a signal to lywatch's group do not
		// reach it, so it outlives lywatch long enough to stop the build.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err = cmd.Start(); err != nil {
			err = fmt.Errorf("start guard %s: %w", r.Guard, err)
		}
	}
	lifeR.Close()
	statW.Close()
	if err != nil {
		lifeW.Close()
		statR.Close()
		return nil, err
	}
	g := &guarded{guard: cmd, life: lifeW, grace: r.grace(), logf: r.logf, donec: make(chan struct{})}
	started := make(chan struct{})
	go g.follow(statR, started)
	timer := time.NewTimer(guardStartTimeout)
	defer timer.Stop()
	select {
	case <-started:
		return g, nil
	case <-g.donec:
		if g.err == nil && sp != nil {
			// It said nothing: killed before it read its build.
			return nil, fmt.Errorf("%w: pid %d ended (%v)", errSpareGone, cmd.Process.Pid, cmd.ProcessState)
		}
		if g.err == nil {
			g.err = fmt.Errorf("guard %s exited without starting the build (does its main call runner.GuardMain?)", r.Guard)
		}
		return nil, g.err
	case <-timer.C:
		cmd.Process.Kill()
		<-g.donec
		return nil, fmt.Errorf("guard %s did not start the build within %s (does its main call runner.GuardMain?)", r.Guard, guardStartTimeout)
	}
}

// follow reads the guard's messages until the guard is gone, then makes
// sure the build's group is too.
func (g *guarded) follow(status *os.File, started chan<- struct{}) {
	sc := bufio.NewScanner(status)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		if err := g.handle(sc.Text(), started); err != nil {
			g.logf("%v", err)
		}
	}
	status.Close()
	werr := g.guard.Wait()
	g.stop()
	g.cleanup(werr)
	close(g.donec)
}

func (g *guarded) handle(line string, started chan<- struct{}) error {
	m, err := parseGuardMsg(line)
	if err != nil {
		return err
	}
	var n int
	switch m.kind {
	case msgPid, msgExit, msgSignal:
		if n, err = m.number(); err != nil {
			return err
		}
	}
	switch m.kind {
	case msgPid:
		if g.pgid == 0 && n > 0 {
			g.pgid = n
			close(started)
		}
	case msgExit:
		g.code, g.exited = n, true
	case msgSignal:
		g.code, g.sig, g.exited = -1, syscall.Signal(n), true
	case msgLog:
		g.logf("%s", m.text)
	case msgError:
		g.err = errors.New(m.text)
	}
	return nil
}

// cleanup runs once the guard has exited. Normally the build's group is
// gone by then; if the guard died before (someone killed it), lywatch
// stops the group itself.
func (g *guarded) cleanup(werr error) {
	if g.pgid > 0 {
		// Members re-parented to lywatch (a subreaper) are reaped here;
		// none of them is an exec.Cmd of lywatch's own.
		t := &group{pgid: g.pgid, logf: g.logf}
		if t.alive() {
			g.logf("guard ended (%v) before %s: stopping it", werr, t)
			gone := make(chan struct{})
			close(gone) // the first process is not lywatch's to wait for
			if err := end(t, gone, g.grace, g.logf); err != nil && g.err == nil {
				g.err = err
			}
		}
	}
	if !g.exited && g.err == nil && g.pgid > 0 {
		g.err = fmt.Errorf("guard ended (%v) before the build's exit status was known", werr)
	}
}

// stop closes the life pipe: the guard stops the build. Should the guard
// not be gone long after (stopped itself, say), it is killed, and cleanup
// stops the group.
func (g *guarded) stop() {
	g.stopOnce.Do(func() {
		g.life.Close()
		go func() {
			t := time.NewTimer(g.grace + goneTimeout + time.Second)
			defer t.Stop()
			select {
			case <-g.donec:
			case <-t.C:
				g.guard.Process.Kill()
			}
		}()
	})
}

func (g *guarded) done() <-chan struct{} { return g.donec }

func (g *guarded) result() (int, syscall.Signal, error) {
	if !g.exited {
		return -1, 0, g.err
	}
	return g.code, g.sig, g.err
}
