package runner

import (
	"context"
	_ "embed" // the driver
	"errors"
	"fmt"
	"os"
	"slices"
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
