package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fatih/color"
)

// Environment variables given to every build, beside the inherited ones.
const (
	// EnvChanged holds the changed paths, one per line (empty for the
	// initial build). Past ChangedLimit bytes it holds "@" and the events
	// file's path instead, and the events file lists every path.
	EnvChanged = "LYWATCH_CHANGED"
	// EnvEventsFile names a JSON file holding the change set
	// (Request.Events); it is gone when the build ends.
	EnvEventsFile = "LYWATCH_EVENTS_FILE"
)

// drainTimeout is how long the output of a build whose processes are all
// gone is still read, for a process that left its group (setsid) and kept
// the pipes: then it is no longer shown, and Run returns.
const drainTimeout = 250 * time.Millisecond

// DefaultGrace is how long a stopped build may take to exit after SIGTERM
// before its group gets SIGKILL.
const DefaultGrace = 2 * time.Second

// Runner runs builds. Run may be called from several goroutines at once:
// each build is a process tree of its own, and the lines of builds running
// side by side (and their status lines) are written whole, one at a time.
// The zero value is not usable; fill Stdout and Stderr.
type Runner struct {
	// Dir is the working directory of the builds ("" = lywatch's own).
	Dir string
	// Stdout and Stderr receive the build's output, line by line behind the
	// prefix, and the status line (on Stderr).
	Stdout, Stderr io.Writer
	// Color turns on the coloured prefix and status line.
	Color bool
	// Grace is the time between SIGTERM and SIGKILL when a build is
	// stopped (0 = DefaultGrace).
	Grace time.Duration
	// NoStatus leaves out the status line.
	NoStatus bool
	// Guard, when set, is the path of an executable whose main calls
	// GuardMain first (lywatch's own: see Self). Each build then runs under
	// a guard process, which stops the build's process group when lywatch
	// dies, even by SIGKILL. Without it a build outlives a killed lywatch.
	// Prepare has each guard started ahead of its build (a spare).
	// Unix only: on Windows a Job Object does this and Guard is not used.
	Guard string
	// Logf, when set, receives diagnostics (group clean-up, signals sent).
	Logf func(format string, args ...any)

	out    sync.Mutex // held while a line is written to Stdout or Stderr
	spares spareSet   // the spare guard (see Prepare)
}

// Prepare has the builds that follow start sooner: with Guard set (Unix),
// it starts a spare guard process now, which waits for the next build,
// and from then on another shortly after each build has started. A build
// with no spare ready gets a guard started for it, as without Prepare. A
// Runner that was prepared must be closed; Prepare and Close are not to be
// called at the same time. The error is that of the spare's start; builds
// run regardless.
func (r *Runner) Prepare() error { return r.prepare() }

// Close ends the spare guard, if any, waits for it, and starts no more
// (until Prepare is called again). Builds still running are not affected,
// and builds run after it get guards started for them.
func (r *Runner) Close() { r.spares.close() }

// Request is one build to run.
type Request struct {
	// Command is the program and its arguments, run directly (no shell).
	Command []string
	// Label names the build in the prefix and status line ("" = "build").
	Label string
	// Changed are the changed paths, given to the build in EnvChanged.
	Changed []string
	// Events, when not nil, is written to a temporary file named in
	// EnvEventsFile (JSON describing the change set).
	Events []byte
	// Env holds more KEY=VALUE pairs for the build; they override the
	// inherited environment and the runner's own variables.
	Env []string
	// Timeout, when positive, stops the build once it has run this long,
	// the way a cancelled one is stopped (SIGTERM to its group, Grace,
	// SIGKILL); Result.TimedOut then says so. Zero means no limit.
	Timeout time.Duration
	// Reload names the project's Python modules whose code changed, or
	// that import one that did (for a Worker: their code is compiled
	// again, never taken from memory or __pycache__).
	Reload []string
}

// Result says how a build ended.
type Result struct {
	// ExitCode is the build's exit status, or -1 when it was killed by a
	// signal or never started.
	ExitCode int
	// Signal is the signal that ended the build, if one did.
	Signal syscall.Signal
	// Duration is the time from start to the end of the build's group.
	Duration time.Duration
	// Stopped is true when the build was stopped because its context was
	// cancelled (a restart or lywatch quitting).
	Stopped bool
	// TimedOut is true when the build was stopped because it ran longer
	// than Request.Timeout. Such a build failed; it is not Stopped.
	TimedOut bool
	// Err is set when the build could not be started or cleaned up.
	Err error
	// LastLine is the last line with text the build printed on stderr (a
	// Python traceback's exception, say), else on stdout, trimmed.
	LastLine string
	// Worker says how a Worker ran the build: WorkerWarm in an
	// interpreter kept from an earlier build, WorkerNew in one started for
	// it; "" for a build run on its own.
	Worker string
}

// The values of Result.Worker.
const (
	WorkerWarm = "warm"
	WorkerNew  = "new worker"
)

// OK reports whether the build ran to its end and exited 0.
func (r *Result) OK() bool { return r.Err == nil && !r.Stopped && !r.TimedOut && r.ExitCode == 0 }

// String describes the outcome in a few words: "ok", "exit 2",
// "stopped", "timed out", "killed by signal: killed", or the start error.
func (r *Result) String() string {
	switch {
	case r.Err != nil:
		return "error: " + r.Err.Error()
	case r.Stopped:
		return "stopped"
	case r.TimedOut:
		return "timed out"
	case r.ExitCode == 0:
		return "ok"
	case r.ExitCode < 0 && r.Signal != 0:
		return "killed by signal: " + r.Signal.String()
	default:
		return fmt.Sprintf("exit %d", r.ExitCode)
	}
}

// Run runs one build and returns when it and every process of its group
// have ended. Cancelling ctx stops the build (SIGTERM to its group, Grace,
// SIGKILL) and Run returns a Result with Stopped set once the group is gone.
func (r *Runner) Run(ctx context.Context, req Request) *Result {
	label := req.Label
	if label == "" {
		label = "build"
	}
	res := r.run(ctx, label, req)
	if !r.NoStatus {
		r.status(label, res)
	}
	return res
}

func (r *Runner) run(ctx context.Context, label string, req Request) *Result {
	if len(req.Command) == 0 {
		return &Result{ExitCode: -1, Err: errors.New("no build command")}
	}
	if err := ctx.Err(); err != nil {
		return &Result{ExitCode: -1, Stopped: true}
	}
	env, events, err := buildEnv(req)
	if err != nil {
		return &Result{ExitCode: -1, Err: err}
	}
	defer events.close()

	out := r.prefixer(label)
	outR, outW, err := os.Pipe()
	if err != nil {
		return &Result{ExitCode: -1, Err: fmt.Errorf("pipe: %w", err)}
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return &Result{ExitCode: -1, Err: fmt.Errorf("pipe: %w", err)}
	}
	start := time.Now()
	p, err := r.start(req.Command, env, outW, errW, events.removeOnExit(), nil)
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return &Result{ExitCode: -1, Err: err}
	}
	copied := out.start(outR, errR)

	res := &Result{}
	var expired <-chan time.Time
	if req.Timeout > 0 {
		t := time.NewTimer(req.Timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-p.done():
	case <-ctx.Done():
		res.Stopped = true
		p.stop()
		<-p.done()
	case <-expired:
		res.TimedOut = true
		r.logf("%s: still running after its timeout of %s: stopping it", label, FormatDuration(req.Timeout))
		p.stop()
		<-p.done()
	}
	res.ExitCode, res.Signal, res.Err = p.result()
	res.Duration = time.Since(start)
	r.drain(label, out, copied)
	res.LastLine = out.lastLine()
	return res
}

// drain waits for the end of the build's output: the pipes reach EOF as
// soon as every process holding them is gone, which is at once unless a
// process that left the build's group (a setsid daemon) keeps them. Such
// pipes are read for drainTimeout more and then given up: what comes is
// read and dropped (so the daemon neither blocks nor gets SIGPIPE) until
// it closes them, and one line says so.
func (r *Runner) drain(label string, out *prefixer, copied <-chan struct{}) {
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-copied:
		return
	case <-t.C:
	}
	c := color.New(color.FgYellow)
	setColor(c, r.Color)
	out.abandon(c.Sprintf("%s: output still held open by a process that left the build's process group (setsid?); no longer shown", label) + "\n")
}

func (r *Runner) grace() time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return DefaultGrace
}

func (r *Runner) logf(format string, args ...any) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}

// status writes the one status line of a build: "build exit 0 in 1.24 s",
// "build exit 2 in 35 ms", "build stopped in 12 ms", "build timed out in
// 5.01 s".
func (r *Runner) status(label string, res *Result) {
	c := color.New(color.FgGreen, color.Bold)
	if !res.OK() {
		c = color.New(color.FgRed, color.Bold)
		if res.Stopped {
			c = color.New(color.FgYellow)
		}
	}
	setColor(c, r.Color)
	what := res.String()
	if res.OK() {
		what = "exit 0"
	}
	how := ""
	if res.Worker != "" {
		how = " (" + res.Worker + ")"
	}
	r.line(c.Sprintf("%s %s in %s%s", label, what, FormatDuration(res.Duration), how) + "\n")
}

// line writes one whole line of lywatch's own (a status line, a note) to
// Stderr, between the lines of builds.
func (r *Runner) line(s string) {
	r.out.Lock()
	defer r.out.Unlock()
	io.WriteString(r.Stderr, s)
}

// prefixer returns the writer of one build's output lines.
func (r *Runner) prefixer(label string) *prefixer {
	return newPrefixer(&r.out, r.Stdout, r.Stderr, label, r.Color)
}

func setColor(c *color.Color, on bool) {
	if on {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
}

// FormatDuration writes d the way lywatch's status and summary lines do:
// "35 ms" below a second, "1.24 s" above.
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
