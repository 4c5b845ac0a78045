package runner

import (
	"context"
	"crypto/rand"
	_ "embed" // the driver
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
)

// Worker runs the builds of one target in an interpreter it keeps between
// them: python3, or klayout -b for klayout -b -r SCRIPT commands. The
// interpreter runs a small driver that ships with lywatch (warm_driver.py);
// for each build the driver drops the project's modules from sys.modules
// and runs the entry script again in a fresh __main__, with the argv,
// -rd defines, environment and working directory a build run on its own
// gets. Third-party modules stay imported, which is where the time goes.
//
// A Worker gives the same result as a build run on its own: a change of
// the command, of the environment lywatch inherited, of the interpreter's
// program or of a third-party file an earlier build imported starts a new
// worker; a worker that dies or hangs past the timeout in the middle of a
// build is replaced and the build run again in the new one; each restart is
// said on Stderr. A command that cannot run warm (see parseWarm) is built
// on its own, with one line saying why.
//
// Its methods may be called from several goroutines; builds of one Worker
// run one at a time.
type Worker struct {
	r     *Runner
	roots []string

	mu       sync.Mutex // held for a whole build
	p        *workerProc
	disabled string // why builds are no longer run warm
	told     bool   // that it was said
}

// NewWorker returns a worker for one target's builds, with r's directory,
// output, guard and grace. roots are the directories of the project's own
// Python code: a module from a .py file below one of them (outside the
// interpreter's own directories) is the project's, dropped and imported
// again for each build; any other module stays.
func (r *Runner) NewWorker(roots []string) *Worker {
	return &Worker{r: r, roots: slices.Clone(roots)}
}

// EnvWarmFD names the descriptor of a warm worker's control socket; the
// driver takes it out of the environment the builds see.
const EnvWarmFD = "LYWATCH_WARM_FD"

// driverSource is the driver a worker runs (warm_driver.py).
//
//go:embed warm_driver.py
var driverSource string

// workerStart bounds the wait for a new worker to say hello when the
// build has no timeout of its own.
const workerStart = 2 * time.Minute

// maxGrowth bounds a worker's memory: once its resident size is more than
// this many times what it was after its first build (state piling up in
// third-party modules, or in the interpreter itself), the next build
// starts a new worker.
const maxGrowth = 2

// markerWait bounds the wait for a run's output markers after its end.
const markerWait = time.Second

// Run runs one build in the worker, starting one when there is none, and
// returns when the build has ended; it writes the status line as
// Runner.Run does. Cancelling ctx stops the build: the worker is
// interrupted (SIGINT, Grace) and kept, or replaced when it does not stop.
func (w *Worker) Run(ctx context.Context, req Request) *Result {
	label := req.Label
	if label == "" {
		label = "build"
	}
	start := time.Now()
	res := w.run(ctx, label, req)
	res.Duration = time.Since(start)
	if !w.r.NoStatus {
		w.r.status(label, res)
	}
	return res
}

// Close stops the worker's interpreter and waits until no process of it is
// left. The Worker may be used again: the next build starts a new one.
func (w *Worker) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.drop()
}

func (w *Worker) run(ctx context.Context, label string, req Request) *Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	spec, err := parseWarm(req.Command)
	if err == nil && w.disabled != "" {
		err = errors.New(w.disabled)
	}
	if err != nil {
		if !w.told {
			w.told = true
			w.say(label, "building without a warm worker: %v", err)
		}
		return w.r.run(ctx, label, req)
	}
	if err := ctx.Err(); err != nil {
		return &Result{ExitCode: -1, Stopped: true}
	}
	env, events, err := buildEnv(req)
	if err != nil {
		return &Result{ExitCode: -1, Err: err}
	}
	defer events.close()
	for attempt := 0; ; attempt++ {
		if w.p != nil {
			if why := w.p.outdated(spec, env); why != "" {
				w.say(label, "starting a new warm worker: %s", why)
				w.drop()
			}
		}
		fresh := w.p == nil
		if fresh {
			p, err := w.start(spec, env, label)
			if err != nil {
				w.disabled, w.told = fmt.Sprintf("no warm worker: %v", err), true
				w.say(label, "%s: building without one from now on", w.disabled)
				return w.r.run(ctx, label, req)
			}
			w.p = p
		}
		o := w.p.run(ctx, req, env, w.r.grace())
		retry := !fresh && attempt == 0
		switch {
		case o.res != nil:
			w.p.runs++
			w.p.checkMemory()
			o.res.Worker = WorkerWarm
			if fresh {
				o.res.Worker = WorkerNew
			}
			if !o.keep {
				w.drop()
			}
			return o.res
		case o.stale != "":
			w.drop()
			if attempt >= 2 {
				return &Result{ExitCode: -1, Err: fmt.Errorf("new warm workers keep refusing the build: %s", o.stale)}
			}
			w.say(label, "starting a new warm worker: %s", o.stale)
			continue
		case o.timedOut:
			w.drop()
			if retry {
				w.say(label, "the warm worker hung past the timeout of %s: building again in a new one", FormatDuration(req.Timeout))
				continue
			}
			return &Result{ExitCode: -1, TimedOut: true}
		}
		// The worker died (or said something it should not have).
		code, sig, perr := w.p.proc.result()
		noHello := w.p.pid == 0
		w.drop()
		if fresh && noHello {
			w.disabled = fmt.Sprintf("the warm worker could not start (%s)", o.died)
			w.told = true
			w.say(label, "%s: building without one from now on", w.disabled)
			return w.r.run(ctx, label, req)
		}
		if retry {
			w.say(label, "the warm worker %s during the build: building again in a new one", o.died)
			continue
		}
		return &Result{ExitCode: code, Signal: sig, Err: perr}
	}
}

// say writes one line of lywatch's own about the worker, on Stderr.
func (w *Worker) say(label, format string, args ...any) {
	c := color.New(color.FgYellow)
	setColor(c, w.r.Color)
	w.r.line(c.Sprintf("%s: "+format, append([]any{label}, args...)...) + "\n")
}

// drop stops the worker's interpreter, if any, and forgets it.
func (w *Worker) drop() {
	if w.p != nil {
		w.p.close()
		w.p = nil
	}
}

// start starts a worker for spec with the environment of its first build.
func (w *Worker) start(spec *warmSpec, env []string, label string) (*workerProc, error) {
	driver, err := writeDriver()
	if err != nil {
		return nil, err
	}
	p, err := w.startProc(spec, env, label, driver)
	if err != nil {
		os.Remove(driver)
		return nil, err
	}
	return p, nil
}

// writeDriver writes the driver to a file of its own that only this user
// can read; the worker's guard removes it when the worker ends.
func writeDriver() (string, error) {
	f, err := os.CreateTemp("", "lywatch-warm-*.py")
	if err != nil {
		return "", fmt.Errorf("warm driver: %w", err)
	}
	_, err = f.WriteString(driverSource)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("warm driver %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}

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
