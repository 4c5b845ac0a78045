//go:build unix

package runner

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A guard costs an exec of lywatch's own binary and the start of a Go
// runtime, a few milliseconds on the way from a save to its build. A
// spare guard pays them ahead of time: it is started without a build and
// waits on a Unix socket, its descriptor spareFD; a build then hands it
// the descriptors a guard would inherit (stdout, stderr, life and status
// pipes, the extra files) with SCM_RIGHTS, and a spareMsg (arguments,
// directory, environment), and the spare carries on as the guard of that
// build. A spare runs nothing without a message; it exits as soon as its
// socket reaches EOF, which happens when lywatch closes it and when
// lywatch dies, however it dies.

// spareFD is a spare guard's end of its socket.
const spareFD = 3

// spareDelay is how long after a build started the next spare is: its
// exec and the start of its runtime take a few milliseconds of CPU on
// several threads, which would slow the build's own start (its program's
// exec) on a small machine. A build that comes sooner gets a guard started
// for it.
const spareDelay = 50 * time.Millisecond

// spareExitTimeout bounds the wait for a spare to exit once its socket is
// closed; then it is killed.
const spareExitTimeout = time.Second

// spare is a spare guard process of lywatch's.
type spare struct {
	path string // the Runner.Guard it runs
	cmd  *exec.Cmd
	conn *net.UnixConn
}

// startSpare starts a spare guard running the executable path.
func startSpare(path string) (*spare, error) {
	conn, theirs, err := socketPair("spare guard")
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	cmd := exec.Command(path, GuardArg, spareMode)
	cmd.Args[0] = "lywatch-guard" // as ps shows it
	cmd.ExtraFiles = []*os.File{theirs}
	// A group of its own, as a guard's (see startGuarded).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("start spare guard %s: %w", path, err)
	}
	return &spare{path: path, cmd: cmd, conn: conn}, nil
}

// hand gives the spare its build: files are the build's stdout and stderr,
// the read end of the life pipe, the write end of the status pipe and the
// extra files, in that order. It closes the socket: a spare takes one
// build. An error means the spare is gone (or stuck) and took nothing.
func (sp *spare) hand(m spareMsg, files []*os.File) error {
	defer sp.conn.Close()
	b, err := m.encode()
	if err != nil {
		return err
	}
	fds := make([]int, len(files))
	for i, f := range files {
		// Fd puts the file in blocking mode, as starting a guard with it
		// would: the build gets its descriptors as it always did.
		fds[i] = int(f.Fd())
	}
	// A spare that is stopped would leave the write hanging once the
	// socket's buffer is full.
	sp.conn.SetWriteDeadline(time.Now().Add(guardStartTimeout))
	n, _, err := sp.conn.WriteMsgUnix(b, unix.UnixRights(fds...), nil)
	if err == nil && n < len(b) {
		_, err = sp.conn.Write(b[n:])
	}
	runtime.KeepAlive(files) // open until the message is sent
	if err != nil {
		return fmt.Errorf("spare guard (pid %d): %w", sp.cmd.Process.Pid, err)
	}
	return nil
}

// close ends a spare that is not to be used: its socket reaches EOF and it
// exits, or it is killed after spareExitTimeout.
func (sp *spare) close() {
	sp.conn.Close()
	exited := make(chan struct{})
	go func() {
		sp.cmd.Wait()
		close(exited)
	}()
	t := time.NewTimer(spareExitTimeout)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		sp.cmd.Process.Kill()
		<-exited
	}
}

// spareSet is a Runner's spare guard: one at most, ready or being started.
type spareSet struct {
	mu       sync.Mutex
	on       bool          // Prepare was called, Close was not
	off      chan struct{} // closed by Close
	ready    *spare        // nil when none is
	starting bool          // one is being started
	starts   sync.WaitGroup
}

// prepare turns spares on and starts one now, unless there is one.
func (r *Runner) prepare() error {
	s := &r.spares
	s.mu.Lock()
	if !s.on {
		s.on, s.off = true, make(chan struct{})
	}
	if r.Guard == "" || !s.claimStart() {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	return s.start(r.Guard)
}

// replenish starts a spare in the background, spareDelay from now, when
// spares are on and there is none.
func (r *Runner) replenish() {
	s := &r.spares
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Guard == "" || !s.on || !s.claimStart() {
		return
	}
	path, off := r.Guard, s.off
	go func() {
		t := time.NewTimer(spareDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-off: // start gives up
		}
		if err := s.start(path); err != nil {
			r.logf("%v", err)
		}
	}()
}

// claimStart reports whether a spare is to be started, and if so marks one
// as being started; s.mu is held.
func (s *spareSet) claimStart() bool {
	if s.ready != nil || s.starting {
		return false
	}
	s.starting = true
	s.starts.Add(1)
	return true
}

// start starts the spare claimStart claimed, and keeps it unless spares
// were turned off meanwhile.
func (s *spareSet) start(path string) error {
	defer s.starts.Done()
	s.mu.Lock()
	on := s.on
	if !on {
		s.starting = false
	}
	s.mu.Unlock()
	if !on {
		return nil
	}
	sp, err := startSpare(path)
	s.mu.Lock()
	s.starting = false
	keep := err == nil && s.on
	if keep {
		s.ready = sp
	}
	s.mu.Unlock()
	if err == nil && !keep {
		sp.close()
	}
	return err
}

// take returns the ready spare, nil when there is none.
func (s *spareSet) take() *spare {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp := s.ready
	s.ready = nil
	return sp
}

// close turns spares off and ends the ready one, waiting for it and for
// any being started.
func (s *spareSet) close() {
	s.mu.Lock()
	if s.on {
		s.on = false
		close(s.off)
	}
	sp := s.ready
	s.ready = nil
	s.mu.Unlock()
	if sp != nil {
		sp.close()
	}
	s.starts.Wait()
}

// runSpare is the spare guard process: it waits for its build on spareFD
// and then guards it as a guard started for it would (runGuard). It exits
// 0 at once when the socket reaches EOF without a message.
func runSpare() int {
	unix.CloseOnExec(spareFD)
	sock := os.NewFile(spareFD, "spare-guard")
	// A process's first signal.Notify starts the runtime's signal thread,
	// a tenth of a millisecond or more that runGuard would spend after the
	// build came; the spare spends it while it waits. SIGCHLD is ignored
	// by default, so catching it for a moment changes nothing.
	warm := make(chan os.Signal, 1)
	signal.Notify(warm, unix.SIGCHLD)
	signal.Stop(warm)
	m, files, err := receive(sock)
	sock.Close()
	if err != nil {
		code := 0
		if !errors.Is(err, io.EOF) {
			code = 2
			if len(files) > 3 {
				(&reporter{w: files[3]}).send(msgError, err.Error())
			}
		}
		for _, f := range files {
			f.Close()
		}
		return code
	}
	gio := guardIO{stdout: files[0], stderr: files[1], life: files[2], status: files[3], extra: files[4:], env: m.env}
	if m.dir != "" {
		if err := os.Chdir(m.dir); err != nil {
			(&reporter{w: gio.status}).send(msgError, fmt.Sprintf("guard: %v", err))
			return 1
		}
	}
	// exec.Command finds the build's program on the process's own PATH:
	// the build's, as for a guard started with the build's environment.
	if path, ok := lookupEnv(m.env, "PATH"); ok {
		os.Setenv("PATH", path)
	} else {
		os.Unsetenv("PATH")
	}
	return runGuard(m.args, gio)
}

// receive reads a spare's message and its descriptors from sock: at least
// four (stdout, stderr, life, status), then the extra files. It returns
// io.EOF when sock reached EOF first. Any files it returns beside an error
// are the caller's to close.
func receive(sock *os.File) (spareMsg, []*os.File, error) {
	var head [4]byte
	oob := make([]byte, unix.CmsgSpace(4*(4+maxGuardFiles)))
	var n, oobn, flags int
	var err error
	for {
		n, oobn, flags, _, err = unix.Recvmsg(int(sock.Fd()), head[:], oob, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return spareMsg{}, nil, fmt.Errorf("spare guard: receive: %w", err)
	}
	if n == 0 {
		return spareMsg{}, nil, io.EOF
	}
	files, err := rights(oob[:oobn])
	if err == nil && flags&unix.MSG_CTRUNC != 0 {
		err = fmt.Errorf("more than %d descriptors", 4+maxGuardFiles)
	}
	if err == nil && len(files) < 4 {
		err = fmt.Errorf("%d descriptors, want 4 at least", len(files))
	}
	if err == nil {
		_, err = io.ReadFull(sock, head[n:])
	}
	var body []byte
	if err == nil {
		var size int
		if size, err = spareMsgLen(head); err == nil {
			body = make([]byte, size)
			_, err = io.ReadFull(sock, body)
		}
	}
	if err != nil {
		return spareMsg{}, files, fmt.Errorf("spare guard: receive: %w", err)
	}
	m, err := decodeSpareMsg(body)
	return m, files, err
}

// rights returns the descriptors an SCM_RIGHTS control message carries, as
// files closed on exec.
func rights(oob []byte) ([]*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "received"))
		}
	}
	return files, nil
}

// lookupEnv returns the last value of key in env.
func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
