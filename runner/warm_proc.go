package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// workerProc is one started worker.
type workerProc struct {
	spec   *warmSpec
	proc   proc
	send   func(v any) error
	msgs   <-chan driverMsg // closed when the driver is gone
	out    *warmOutput
	dir    string // the builds' working directory
	driver string // the driver's file, removed once the worker said hello
	env    []string
	exe    string // the interpreter's program, and its stamp
	stamp  string
	pid    int   // the driver's, from its hello
	runs   int   // builds it ran
	rss0   int64 // its resident size after its first build, in bytes
	nextID int64
	broken string // why it must not run another build
	logf   func(string, ...any)
}

// outcome is how one run in a worker ended: a result (keep says whether
// the worker may run another build), a refusal (stale), a timeout, or
// the worker's death (died says how).
type outcome struct {
	res      *Result
	keep     bool
	stale    string
	timedOut bool
	died     string
}

// outdated says why the worker cannot run a build of spec in env; "" when
// it can.
func (p *workerProc) outdated(spec *warmSpec, env []string) string {
	switch {
	case p.broken != "":
		return p.broken
	case !slices.Equal(p.spec.argv, spec.argv) || p.spec.script != spec.script || p.spec.module != spec.module || !slices.Equal(p.spec.args, spec.args):
		return "the command changed"
	case !slices.Equal(p.env, inherited(env)):
		return "the environment changed"
	case fileStamp(p.exe) != p.stamp:
		return p.exe + " changed"
	}
	return ""
}

// inherited is the part of a build's environment a worker is started
// with and keeps: all but lywatch's own LYWATCH_* variables, which change
// from build to build, sorted.
func inherited(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LYWATCH_") {
			out = append(out, kv)
		}
	}
	slices.Sort(out)
	return out
}

// fileStamp identifies the file at p by size and modification time.
func fileStamp(p string) string {
	st, err := os.Stat(p)
	if err != nil {
		return "missing"
	}
	return fmt.Sprintf("%d:%d", st.Size(), st.ModTime().UnixNano())
}

// interpreterPath is the program a worker runs, as exec finds it.
func interpreterPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

// run runs one build in the worker.
func (p *workerProc) run(ctx context.Context, req Request, env []string, grace time.Duration) outcome {
	p.nextID++
	id := p.nextID
	var token [16]byte
	rand.Read(token[:])
	marker := "\x1elywatch-end-" + hex.EncodeToString(token[:])
	ro := p.out.begin(marker)
	msg := driverRun{Op: "run", ID: id, Env: env, Cwd: p.dir, Reload: req.Reload, Files: req.Changed, Marker: marker}
	if msg.Reload == nil {
		msg.Reload = []string{}
	}
	if msg.Files == nil {
		msg.Files = []string{}
	}
	if err := p.send(msg); err != nil {
		return outcome{died: fmt.Sprintf("did not take the build (%v)", err)}
	}
	var expired, noHello <-chan time.Time
	if req.Timeout > 0 {
		t := time.NewTimer(req.Timeout)
		defer t.Stop()
		expired = t.C
	} else if p.pid == 0 {
		t := time.NewTimer(workerStart)
		defer t.Stop()
		noHello = t.C
	}
	stopped, stop := false, ctx.Done()
	var stopTimer <-chan time.Time
	for {
		select {
		case m, ok := <-p.msgs:
			if !ok {
				p.wait(grace)
				return outcome{died: p.death()}
			}
			switch {
			case m.Op == opHello:
				p.hello(m)
				noHello = nil
			case m.ID != id:
				p.logf("warm worker: a reply to build %d during build %d: ignored", m.ID, id)
			case m.Op == opStale:
				return outcome{stale: m.Why}
			case m.Op == opDone:
				p.waitMarkers(ro)
				p.stopLeftovers(grace)
				if stopped || m.Stopped {
					return outcome{res: &Result{ExitCode: -1, Stopped: true}, keep: p.broken == ""}
				}
				return outcome{res: &Result{ExitCode: m.Exit}, keep: p.broken == ""}
			}
		case <-p.proc.done():
			return outcome{died: p.death()}
		case <-noHello:
			return outcome{died: fmt.Sprintf("did not start within %s", workerStart)}
		case <-expired:
			return outcome{timedOut: true}
		case <-stop:
			stop, stopped = nil, true
			p.out.hush()
			if p.pid == 0 || p.interrupt() != nil {
				return outcome{res: &Result{ExitCode: -1, Stopped: true}}
			}
			t := time.NewTimer(grace)
			defer t.Stop()
			stopTimer = t.C
		case <-stopTimer:
			p.logf("warm worker %d: still running %s after SIGINT: replacing it", p.pid, FormatDuration(grace))
			return outcome{res: &Result{ExitCode: -1, Stopped: true}}
		}
	}
}

// wait waits up to grace for the worker's processes to end once its
// driver is gone, and stops them after that.
func (p *workerProc) wait(grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.proc.done():
	case <-t.C:
		p.proc.stop()
		<-p.proc.done()
	}
}

// checkMemory notes the worker's resident size after its first build, and
// marks it for replacement once it has grown past maxGrowth times that.
func (p *workerProc) checkMemory() {
	if p.pid == 0 {
		return
	}
	rss := residentSize(p.pid)
	switch {
	case rss <= 0:
	case p.rss0 == 0:
		p.rss0 = rss
	case rss > maxGrowth*p.rss0 && p.broken == "":
		p.broken = fmt.Sprintf("its memory grew from %d MB to %d MB over %d builds", p.rss0>>20, rss>>20, p.runs)
	}
}

// stopLeftovers stops the processes a build left in the worker's process
// group (everything but the worker itself), as a build run on its own
// has its leftovers stopped: SIGTERM, up to grace, SIGKILL. (On systems
// without /proc they end with the worker.)
func (p *workerProc) stopLeftovers(grace time.Duration) {
	if p.pid == 0 {
		return
	}
	left := func() []int {
		var out []int
		for _, pid := range groupMembers(p.pid) {
			if pid != p.pid {
				out = append(out, pid)
			}
		}
		return out
	}
	pids := left()
	if len(pids) == 0 {
		return
	}
	p.logf("warm worker %d: stopping what the build left: %v", p.pid, pids)
	// Each round signals what is there now: a process the build left may
	// start another before it ends.
	deadline := time.Now().Add(grace)
	for len(pids) > 0 {
		kill := time.Now().After(deadline)
		signalAll(pids, kill)
		if kill && time.Now().After(deadline.Add(goneTimeout)) {
			p.broken = fmt.Sprintf("processes it left are still there after SIGKILL: %v", pids)
			return
		}
		time.Sleep(pollEvery)
		pids = left()
	}
}

// hello takes the driver's greeting: its pid; its file is no longer needed.
func (p *workerProc) hello(m driverMsg) {
	p.pid = m.Pid
	if p.driver != "" {
		os.Remove(p.driver)
		p.driver = ""
	}
}

// waitMarkers waits for the end of a run's output; a worker whose markers
// do not come (the build closed its stdout, say) is not used again.
func (p *workerProc) waitMarkers(ro *runOutput) {
	t := time.NewTimer(markerWait)
	defer t.Stop()
	select {
	case <-ro.all(p.out.done):
	case <-t.C:
		p.broken = "the last build's output did not end as it should (its stdout or stderr closed?)"
	}
}

// death says how the worker ended.
func (p *workerProc) death() string {
	code, sig, err := p.proc.result()
	switch {
	case err != nil:
		return "ended (" + err.Error() + ")"
	case sig != 0:
		return "was killed by signal: " + sig.String()
	default:
		return fmt.Sprintf("exited with status %d", code)
	}
}

// close ends the worker and waits for its processes and output.
func (p *workerProc) close() {
	p.proc.stop()
	<-p.proc.done()
	go func() {
		for range p.msgs { // until the driver's end of the socket is gone
		}
	}()
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-p.out.done:
	case <-t.C:
	}
	if p.driver != "" {
		os.Remove(p.driver)
	}
}
