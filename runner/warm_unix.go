//go:build unix

package runner

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// startProc starts a worker: its interpreter runs the driver (under the
// guard, when there is one), with a socket pair between the two as the
// worker's descriptor 3, and is told what to run.
func (w *Worker) startProc(spec *warmSpec, env []string, label, driver string) (*workerProc, error) {
	conn, theirs, err := socketPair("warm worker")
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		conn.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	argv := spec.worker(driver)
	penv := append(append([]string(nil), env...), EnvWarmFD+"=3")
	pr, err := w.r.start(argv, penv, outW, errW, driver, []*os.File{theirs})
	outW.Close()
	errW.Close()
	if err != nil {
		conn.Close()
		outR.Close()
		errR.Close()
		return nil, err
	}
	dir := w.r.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	exe := interpreterPath(argv[0])
	p := &workerProc{
		spec: spec, proc: pr, out: newWarmOutput(w.r.prefixer(label), outR, errR), dir: dir, driver: driver,
		env: inherited(env), exe: exe, stamp: fileStamp(exe), logf: w.r.logf,
	}
	p.send, p.msgs = driverConn(conn, w.r.logf)
	init := driverInit{Op: "init", Kind: spec.kind, Script: spec.script, Module: spec.module, Args: spec.args, Roots: w.roots}
	if init.Args == nil {
		init.Args = []string{}
	}
	if init.Roots == nil {
		init.Roots = []string{}
	}
	if err := p.send(init); err != nil {
		p.logf("warm worker: %v", err) // it died at once: the run says how
	}
	w.r.logf("%s: started a warm worker: %q", label, argv)
	return p, nil
}

// driverConn returns the writer of messages to a driver and the channel of
// its messages, closed when the connection ends (and closing it then).
func driverConn(conn net.Conn, logf func(string, ...any)) (func(any) error, <-chan driverMsg) {
	var mu sync.Mutex
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		_, err = conn.Write(append(b, '\n'))
		return err
	}
	msgs := make(chan driverMsg, 4)
	go func() {
		defer close(msgs)
		defer conn.Close()
		sc := bufio.NewScanner(conn)
		sc.Buffer(make([]byte, 4096), maxDriverLine)
		for sc.Scan() {
			m, err := parseDriverMsg(sc.Bytes())
			if err != nil {
				logf("warm worker: %v", err)
				continue
			}
			msgs <- m
		}
	}()
	return send, msgs
}

// interrupt sends SIGINT to the driver: the run under way ends with
// KeyboardInterrupt, the worker stays.
func (p *workerProc) interrupt() error {
	return unix.Kill(p.pid, unix.SIGINT)
}

// signalAll sends SIGTERM (or SIGKILL) to each process.
func signalAll(pids []int, kill bool) {
	sig := unix.SIGTERM
	if kill {
		sig = unix.SIGKILL
	}
	for _, pid := range pids {
		unix.Kill(pid, sig)
	}
}
