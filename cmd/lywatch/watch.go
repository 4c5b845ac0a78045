package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// runWatch is the live loop: lywatch [flags] -- CMD ARGS...
func runWatch(ctx context.Context, e *env, args []string) int {
	dir, err := os.Getwd()
	if err != nil {
		return e.errorf("%v", err)
	}
	cfg, err := config.Parse(args, dir, e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return e.errorf("%v", err)
	}
	onBusy, err := runner.ParseOnBusy(cfg.OnBusy)
	if err != nil {
		return e.errorf("%v", err)
	}
	colorOn := !cfg.NoColor && !color.NoColor
	logf := func(format string, args ...any) { fmt.Fprintf(e.stderr, "lywatch: "+format+"\n", args...) }
	verbose := func(string, ...any) {}
	if cfg.Verbose {
		verbose = logf
	}
	// With --json, stdout carries the reports alone; the summary lines and
	// the build's own output go to stderr.
	out := e.stdout
	if cfg.JSON {
		out = e.stderr
	}
	o := loop.Options{
		Targets:   targets(cfg),
		Runner:    &runner.Runner{Dir: cfg.Dir, Stdout: out, Stderr: e.stderr, Color: colorOn, Guard: runner.Self(), Logf: verbose},
		OnBusy:    onBusy,
		NoInitial: cfg.NoInitial,
		Once:      cfg.Once,
		Clear:     cfg.Clear,
		Out:       out,
		Color:     colorOn,
		Root:      sourceDir(cfg), // summary paths read relative to the watched project
		Logf:      verbose,
	}
	l, err := newLive(ctx, cfg, o.Targets, logf)
	if err != nil {
		return e.errorf("%v", err)
	}
	defer l.close()
	if cfg.JSON {
		o.JSON = e.stdout
	}
	o.Hooks.Plan = l.plan
	o.Hooks.After = append(o.Hooks.After, l.readHook())
	if l.store != nil {
		o.Hooks.After = append(o.Hooks.After, l.saveHook())
	}
	var push *loop.Hook
	if cfg.Push && hasOutput(o.Targets) {
		proto, err := ipc.ParseProtocol(cfg.Protocol)
		if err != nil {
			return e.errorf("%v", err)
		}
		h := pushHook(&ipc.Client{Addr: cfg.KLayout, Protocol: proto}, logf)
		push = &h
		o.Hooks.After = append(o.Hooks.After, h)
	}
	if cfg.Once {
		l.initial, l.fresh = nil, nil // a one-shot run always builds
	}
	if len(l.fresh) > 0 {
		l.showCached(ctx, out, pushFunc(push))
		if len(l.fresh) == len(o.Targets) {
			o.NoInitial = true // every target is served from the session
		}
	}
	l.loadGraph(ctx, l.opts)
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
		if l.dir != "" {
			w.IgnorePath(l.dir)
		}
		o.Source = w
	}
	o.Hooks.Idle() // after the watcher's start-up scan
	code, err := loop.Run(ctx, o)
	if err != nil {
		return e.errorf("%v", err)
	}
	return code
}

// targets turns the configuration into the loop's build targets: the
// [[tool.lywatch.targets]] tables, or the one command and output.
func targets(cfg *config.Config) []loop.Target {
	if len(cfg.Targets) == 0 {
		return []loop.Target{{Command: cfg.Command, Output: cfg.Output, Entry: entries(cfg.Dir, cfg.Entry, cfg.Command), Timeout: cfg.Timeout}}
	}
	out := make([]loop.Target, 0, len(cfg.Targets))
	for _, t := range cfg.Targets {
		cmd := t.Command
		if len(cmd) == 0 {
			cmd = cfg.Command
		}
		out = append(out, loop.Target{Name: t.Name, Command: cmd, Output: t.Output, Entry: t.Entry, Timeout: t.Timeout})
	}
	return out
}

// entries returns the single target's entry files: those given, else the
// arguments of its command that name existing .py files (klayout -b -r
// build.py, python3 chip.py). With none, every edit reaches the target.
func entries(dir string, given, command []string) []string {
	if len(given) > 0 {
		return given
	}
	var out []string
	for _, a := range command {
		if !strings.HasSuffix(a, ".py") {
			continue
		}
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

func hasOutput(ts []loop.Target) bool {
	for _, t := range ts {
		if t.Output != "" {
			return true
		}
	}
	return false
}

// pushFunc adapts the push hook for the cached layouts shown at start-up.
func pushFunc(h *loop.Hook) func(context.Context, string) (string, error) {
	if h == nil {
		return nil
	}
	return func(ctx context.Context, path string) (string, error) {
		return h.Run(ctx, &loop.Build{Target: loop.Target{Output: path}, Values: map[string]any{}})
	}
}

// pushHook pushes each good build's output into KLayout. With nothing
// listening it says so once, with the remedy, and lywatch keeps watching.
func pushHook(c *ipc.Client, logf func(string, ...any)) loop.Hook {
	var told atomic.Bool
	addr := c.Address() // the protocol's default port when none is given
	return loop.Hook{Name: "push", Run: func(ctx context.Context, b *loop.Build) (string, error) {
		if b.Target.Output == "" {
			return "no output", nil
		}
		res, err := c.Push(ctx, b.Target.Output, ipc.PushOptions{})
		if errors.Is(err, ipc.ErrNoServer) {
			if !told.Swap(true) {
				logf("no KLayout listening on %s, run 'lywatch klayout start'", addr)
			}
			return "no KLayout", nil
		}
		if err != nil {
			return "", err
		}
		told.Store(false)
		return res.Type, nil
	}}
}
