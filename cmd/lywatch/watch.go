package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/session"
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
		proto, err := ipc.ParseProtocol(cfg.Protocol)
		if err != nil {
			return e.errorf("%v", err)
		}
		pusher = pipeline.KLayout(cfg.KLayout, proto, logf)
	}
	var store pipeline.Store
	own, err := pipeline.OpenSession(proj, append([]string{"lywatch"}, args...))
	readOnly := false
	switch {
	case err != nil && cfg.Once && errors.Is(err, session.ErrLocked):
		// --once beside a running loop: see once.go.
		b, oerr := openBesideLoop(proj, err)
		if oerr != nil {
			return e.errorf("%v", oerr)
		}
		defer b.store.Close()
		logf("%s", b.note(err))
		proj, store, pusher, readOnly = b.proj, b.store, nil, true
	case err != nil:
		return e.errorf("%v", err)
	case own != nil:
		defer own.Close()
		store = own
	}
	diffDir := ""
	if cfg.ShowDiff {
		if diffDir, err = os.MkdirTemp("", "lywatch-diff-"); err != nil {
			return e.errorf("--show-diff: %v", err)
		}
		defer os.RemoveAll(diffDir)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stopped error // why the pipeline could not go on
	p, err := pipeline.Open(ctx, pipeline.Options{
		Project: proj, Store: store, Pusher: pusher, NoInitial: cfg.NoInitial, Rebuild: cfg.Force, ReadOnly: readOnly, DiffDir: diffDir, Logf: logf,
		Stop: func(err error) { stopped = err; cancel() },
	})
	if err != nil {
		return e.errorf("%v", err)
	}
	go p.LoadGraph(ctx) // ready for the first edit; the cached layouts need not wait
	colorOn := !cfg.NoColor && !color.NoColor
	// With --json, stdout carries the reports alone; the summary lines and
	// the build's own output go to stderr.
	out := e.stdout
	if cfg.JSON {
		out = e.stderr
	}
	o := loop.Options{
		Targets:   p.Targets(),
		Runner:    &runner.Runner{Dir: proj.Dir, Stdout: out, Stderr: e.stderr, Color: colorOn, Logf: verbose},
		OnBusy:    onBusy,
		NoInitial: cfg.NoInitial && !p.ServesCache(),
		Once:      cfg.Once,
		Clear:     cfg.Clear,
		Out:       out,
		Color:     colorOn,
		Root:      proj.Sources, // summary paths read relative to the watched project
		Logf:      verbose,
		Hooks:     loop.Hooks{Plan: p.Plan, After: p.After, Cached: p.Cached},
	}
	if cfg.JSON {
		o.JSON = e.stdout
	}
	// The start-up scans and each cycle leave garbage that Go would hand back
	// to the system only minutes later; lywatch then sits idle for hours, so
	// give it back as soon as the loop waits (idle: about 30 MB, not 47).
	o.Hooks.Idle = func() { go debug.FreeOSMemory() }
	if !cfg.Once {
		w, err := watcher.New(watcher.Options{
			Roots: cfg.Watch, Include: cfg.Include, Exclude: cfg.Exclude,
			Debounce: cfg.Debounce, Poll: cfg.Poll, PollInterval: cfg.PollInterval, Logf: logf,
		})
		if err != nil {
			return e.errorf("%v", err)
		}
		if proj.SessionDir != "" {
			w.IgnorePath(proj.SessionDir)
		}
		o.Source = w
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

func hasOutput(ts []project.Target) bool {
	for _, t := range ts {
		if t.Output != "" {
			return true
		}
	}
	return false
}
