package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/klayout"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/tracing"
	"github.com/lywatch/lywatch/watcher"
)

// runWatch is the live loop: lywatch [flags] -- CMD ARGS...
func runWatch(ctx context.Context, e *env, args []string) int {
	cwd, err := os.Getwd()
	if err != nil {
		return e.errorf("%v", err)
	}
	cfg, err := config.Parse(args, cwd, e.stderr)
	var unexpected *config.UnexpectedArgError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &unexpected):
		return unknownCommand(e, unexpected.Arg)
	case err != nil:
		return e.errorf("%v", err)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(e.stderr, "lywatch: "+format+"\n", args...) }
	for _, s := range cfg.Skipped {
		logf("%s", s)
	}
	proj, err := project.Resolve(cfg, project.Options{})
	if err != nil {
		return e.errorf("%v", err)
	}
	onBusy, err := runner.ParseOnBusy(cfg.OnBusy)
	if err != nil {
		return e.errorf("%v", err)
	}
	verbose := func(string, ...any) {}
	if cfg.Verbose {
		verbose = logf
	}
	var pusher pipeline.Pusher
	if cfg.Push && hasOutput(proj.Targets) {
		p, err := klayoutPusher(cfg, proj)
		if err != nil {
			return e.errorf("%v", err)
		}
		pusher = pipeline.KLayout(p, logf)
	}
	// The watcher starts first: its first scan is the baseline the session
	// is compared with, and every change after it is reported, so an edit
	// made while the session is restored or the cache is pushed is built.
	var w *watcher.Watcher
	if !cfg.Once {
		w, err = watcher.New(watcher.Options{
			Roots: cfg.Watch, Include: cfg.Include, Exclude: cfg.Exclude,
			Debounce: cfg.Debounce, Poll: cfg.Poll, PollInterval: cfg.PollInterval, Logf: logf,
		})
		if err != nil {
			return e.errorf("%v", err)
		}
		if proj.SessionDir != "" {
			w.IgnorePath(proj.SessionDir)
		}
	}
	var store pipeline.Store
	own, err := pipeline.OpenSession(proj, append([]string{"lywatch"}, args...))
	readOnly := false
	switch {
	case err != nil && cfg.Once && errors.Is(err, session.ErrLocked):
		// --once beside a running loop: see watch_once.go.
		b, oerr := openBesideLoop(proj, err)
		if oerr != nil {
			return e.errorf("%v", oerr)
		}
		defer b.store.Close()
		logf("%s", b.note(err))
		proj, store, pusher, readOnly = b.proj, b.store, nil, true
	case err != nil:
		if w != nil {
			w.Close()
		}
		return e.errorf("%v", err)
	case own != nil:
		defer own.Close()
		store = own
	}
	diffDir := ""
	if cfg.ShowDiff {
		// Inside the project: KLayout's server reads report databases
		// only from the project's folders.
		base := proj.SessionDir
		if base == "" {
			base = filepath.Join(proj.Dir, "build")
		}
		if err := os.MkdirAll(base, 0o777); err != nil {
			return e.errorf("--show-diff: %v", err)
		}
		if diffDir, err = os.MkdirTemp(base, "diff-"); err != nil {
			return e.errorf("--show-diff: %v", err)
		}
		defer os.RemoveAll(diffDir)
	}
	var baseline map[string]string
	if w != nil {
		baseline = w.Hashes()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stopped error // why the pipeline could not go on
	trace := &pipeline.TraceOptions{Off: cfg.TraceFrames == 0, Limits: tracing.Limits{Frames: cfg.TraceFrames, Bytes: cfg.TraceBytes}}
	p, err := pipeline.Open(ctx, pipeline.Options{
		Project: proj, Store: store, Pusher: pusher, NoInitial: cfg.NoInitial, Rebuild: cfg.Force, ReadOnly: readOnly, DiffDir: diffDir,
		Logf: logf, Baseline: baseline,
		Stop:   func(err error) { stopped = err; cancel() },
		Inputs: inputs(w),
		Trace:  trace,
	})
	if err != nil {
		if w != nil {
			w.Close()
		}
		return e.errorf("%v", err)
	}
	defer p.Close()
	go p.LoadGraph(ctx) // ready for the first edit; the cached layouts need not wait
	colorOn := !cfg.NoColor && !color.NoColor
	// With --json, stdout carries the reports alone; the summary lines and
	// the build's own output go to stderr.
	out := e.stdout
	if cfg.JSON {
		out = e.stderr
	}
	r := &runner.Runner{Dir: proj.Dir, Stdout: out, Stderr: e.stderr, Color: colorOn, Guard: runner.Self(), Logf: verbose}
	// A spare guard waits for each build, the first edit's too: a guard
	// started after the save would cost its exec and its runtime's start.
	if err := r.Prepare(); err != nil {
		verbose("builds start their own guards: %v", err)
	}
	defer r.Close()
	o := loop.Options{
		Targets:   p.Targets(),
		Runner:    r,
		OnBusy:    onBusy,
		Jobs:      cfg.Jobs,
		WarmRoots: p.WarmRoots(),
		NoInitial: cfg.NoInitial && !p.ServesCache(),
		Once:      cfg.Once,
		Clear:     cfg.Clear,
		Out:       out,
		Color:     colorOn,
		Root:      proj.Sources, // summary paths read relative to the watched project
		Logf:      verbose,
		Hooks:     loop.Hooks{Plan: p.Plan, After: p.After, Cached: p.Cached, Failed: p.Failed},
	}
	if cfg.JSON {
		o.JSON = e.stdout
	}
	if w != nil {
		o.Source = w
	}
	// The start-up scans and each cycle leave garbage that Go would hand back
	// to the system only minutes later; lywatch then sits idle for hours, so
	// give it back as soon as the loop waits (idle: about 30 MB, not 47).
	o.Hooks.Idle = func() {
		go debug.FreeOSMemory()
		p.Idle(ctx) // the cycle's trace closed, a KLayout that came back shown
	}
	if pusher != nil && !cfg.Once {
		// A KLayout started or restarted while lywatch waits is shown
		// the last good layout at once.
		if back, err := klayout.WatchDiscovery(ctx); err == nil {
			go func() {
				for range back {
					p.Reshow(ctx)
				}
			}()
		} else {
			verbose("KLayouts coming back are noticed only after a build: %v", err)
		}
	}
	o.Hooks.Idle() // after the watcher's start-up scan
	code, err := loop.Run(ctx, o)
	if err != nil {
		return e.errorf("%v", err)
	}
	if stopped != nil {
		return e.errorf("%v", stopped)
	}
	return code
}

// inputs is the watcher as the pipeline's Inputs (none with --once).
func inputs(w *watcher.Watcher) pipeline.Inputs {
	if w == nil {
		return nil
	}
	return w
}

func hasOutput(ts []project.Target) bool {
	for _, t := range ts {
		if t.Output != "" {
			return true
		}
	}
	return false
}
