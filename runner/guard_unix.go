//go:build unix

package runner

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The file descriptors a guard process gets beside stdin, stdout and
// stderr: the read end of the life pipe (EOF: stop the build) and the
// write end of the status pipe (guardMsg lines). The files it passes on
// to the build (guardSpec.files) follow from firstExtraFD.
const (
	lifeFD       = 3
	statusFD     = 4
	firstExtraFD = 5
)

// GuardMain runs the guard process when args (os.Args[1:]) start with
// GuardArg, and returns its exit code and true; otherwise it returns
// false at once. A program that sets Runner.Guard to itself calls it
// first thing in main:
//
//	if code, ok := runner.GuardMain(os.Args[1:]); ok {
//		os.Exit(code)
//	}
//
// The guard starts the build in a process group of its own and supervises
// it as Run would (SIGTERM, grace, SIGKILL; leftovers stopped), reporting
// to Run on a pipe. It stops the build as soon as its life pipe reaches
// EOF, which happens when Run asks it to, and also when the program that
// started it dies, however it dies: the kernel closes the pipe's write
// end. It stays out of the terminal's process group, so Ctrl-C reaches
// lywatch alone; SIGINT, SIGTERM or SIGHUP sent to the guard itself stop
// the build too.
//
// With GuardArg and spareMode as its only arguments the process is a spare
// guard, started before its build is known (see Runner.Prepare and
// runSpare).
func GuardMain(args []string) (int, bool) {
	if len(args) == 0 || args[0] != GuardArg {
		return 0, false
	}
	if len(args) == 2 && args[1] == spareMode {
		return runSpare(), true
	}
	// The build must not inherit the guard's pipes: a daemon holding the
	// status pipe would keep Run waiting.
	unix.CloseOnExec(lifeFD)
	unix.CloseOnExec(statusFD)
	gio := guardIO{
		stdout: os.Stdout, stderr: os.Stderr,
		life: os.NewFile(lifeFD, "life"), status: os.NewFile(statusFD, "status"),
		inherited: true, env: os.Environ(),
	}
	return runGuard(args, gio), true
}

// guardIO is what a guard works with beside its arguments: the build's
// stdout and stderr, the life and status pipes, the files passed on to the
// build and the build's environment. A guard started for its build
// inherits them (descriptors 1 to 4, then from firstExtraFD on, and its
// own environment); a spare receives them (see runSpare).
type guardIO struct {
	stdout, stderr *os.File
	life, status   *os.File
	// extra are the files for the build's descriptors 3, 4, ...; when
	// inherited is set they are the guard's own from firstExtraFD on,
	// guardSpec.files of them, and extra is not used.
	extra     []*os.File
	inherited bool
	env       []string
}

// runGuard starts the build args describe (guardSpec) and supervises it
// until its group is gone, reporting on gio.status; it returns the guard's
// exit code.
func runGuard(args []string, gio guardIO) int {
	rep := &reporter{w: gio.status}
	spec, err := parseGuardArgs(args)
	if err != nil {
		rep.send(msgError, err.Error())
		return 2
	}
	if spec.remove != "" {
		defer os.Remove(spec.remove)
	}
	extra := gio.extra
	if gio.inherited {
		for i := range spec.files {
			unix.CloseOnExec(firstExtraFD + i) // the build gets them as 3, 4, ...
			extra = append(extra, os.NewFile(uintptr(firstExtraFD+i), "extra"))
		}
	}
	if len(extra) != spec.files {
		rep.send(msgError, fmt.Sprintf("guard: %d files to pass on, want %d", len(extra), spec.files))
		return 2
	}
	setSubreaper() // orphans of the build come here, to be reaped
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	cmd := exec.Command(spec.argv[0], spec.argv[1:]...)
	cmd.Env = gio.env
	cmd.Stdout, cmd.Stderr = gio.stdout, gio.stderr
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		rep.send(msgError, fmt.Sprintf("start %s: %v", spec.argv[0], err))
		return 1
	}
	pid := cmd.Process.Pid
	rep.send(msgPid, strconv.Itoa(pid))

	stop := make(chan struct{})
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }) }
	go func() {
		io.Copy(io.Discard, gio.life)
		halt()
	}()
	rp := &reaper{leader: pid, exited: make(chan struct{}), rep: rep}
	go func() {
		for s := range sigs {
			if s == unix.SIGCHLD {
				rp.reap()
			} else {
				halt()
			}
		}
	}()
	rp.reap() // a SIGCHLD may have come before Notify's goroutine ran
	g := &group{pgid: pid, reapFn: rp.reap, logf: rep.logf}
	if err := supervise(g, rp.exited, stop, spec.grace, rep.logf); err != nil {
		rep.send(msgError, err.Error())
		return 1
	}
	return 0
}

// reporter writes guardMsg lines on the status pipe. Write errors are
// ignored: they mean lywatch is gone, and the guard goes on stopping the
// build regardless.
type reporter struct {
	mu sync.Mutex
	w  io.Writer
}

func (r *reporter) send(kind, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	io.WriteString(r.w, guardMsg{kind, text}.String())
}

func (r *reporter) logf(format string, args ...any) { r.send(msgLog, fmt.Sprintf(format, args...)) }

// reaper collects every exited child of the guard: the build's first
// process, whose status it reports (and then closes exited), and the
// orphans re-parented to the guard.
type reaper struct {
	mu     sync.Mutex
	leader int
	exited chan struct{}
	rep    *reporter
}

func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		if pid != r.leader {
			continue
		}
		if ws.Signaled() {
			r.rep.send(msgSignal, strconv.Itoa(int(ws.Signal())))
		} else {
			r.rep.send(msgExit, strconv.Itoa(ws.ExitStatus()))
		}
		close(r.exited)
	}
}
