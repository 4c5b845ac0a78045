package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/pipeline"
)

const sessionUsage = `Usage:
  lywatch session show [--json] [--target T] [--all]   targets, cells, factories, what is stale now
  lywatch session save --cell NAME [--target T] [--layout FILE]
                                                    keep only NAME and its descendants
  lywatch session clear [--target T]                remove the saved session (or one target)
  lywatch session hash [--from FILE|-] [PATH...]     hash files as the session does (sha256sum format)

Every subcommand takes --session-dir DIR (else $LYWATCH_SESSION_DIR, else
session_dir in the configuration, else build/session under the git root).
`

// runSession runs `lywatch session SUBCOMMAND`.
func runSession(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, sessionUsage)
		return exitError
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, sessionUsage)
		return exitOK
	}
	switch args[0] {
	case "show":
		return runSessionShow(ctx, e, args[1:])
	case "save":
		return runSessionSave(ctx, e, args[1:])
	case "clear":
		return runSessionClear(ctx, e, args[1:])
	case "hash":
		return runSessionHash(ctx, e, args[1:])
	}
	return e.errorf("session: unknown subcommand %q\n%s", args[0], sessionUsage)
}

// sessionFlags are the flags every session subcommand shares.
type sessionFlags struct {
	fs      *flag.FlagSet
	project projectFlags
	target  string
	noColor bool
	args    []string // the positional arguments
}

func newSessionFlags(e *env, name string) *sessionFlags {
	f := &sessionFlags{fs: flag.NewFlagSet("session "+name, flag.ContinueOnError)}
	f.fs.SetOutput(e.stderr)
	f.project.register(f.fs, false)
	f.fs.StringVar(&f.target, "target", "", "only this target `NAME`")
	f.fs.BoolVar(&f.noColor, "no-color", false, "plain output")
	usage(f.fs, sessionUsage)
	return f
}

// parse parses args; it returns false (and the exit code) on -h or a bad flag.
func (f *sessionFlags) parse(e *env, args []string) (int, bool) {
	pos, code, ok := parseArgs(f.fs, args)
	if !ok {
		return code, false
	}
	if len(pos) > 0 && f.fs.Name() != "session hash" {
		return e.errorf("%s: unexpected argument %q", f.fs.Name(), pos[0]), false
	}
	f.args = pos
	return 0, true
}

// locate resolves the session directory and the project root the way the
// live loop does (package project).
func (f *sessionFlags) locate(e *env) (dir, root string, err error) {
	p, err := f.project.resolve(e)
	if err != nil {
		return "", "", err
	}
	if p.SessionDir == "" {
		return "", "", fmt.Errorf("the project keeps no session (no_session)")
	}
	return p.SessionDir, p.Root, nil
}

func runSessionShow(ctx context.Context, e *env, args []string) int {
	f := newSessionFlags(e, "show")
	asJSON := f.fs.Bool("json", false, "print JSON")
	all := f.fs.Bool("all", false, "list every cell and file, not the first few")
	if code, ok := f.parse(e, args); !ok {
		return code
	}
	proj, err := f.project.resolve(e)
	if err != nil {
		return e.errorf("session show: %s", sessionErr(err))
	}
	var only []string
	if f.target != "" {
		only = []string{f.target}
	}
	st, err := pipeline.SessionStatus(ctx, proj, only...)
	if err != nil {
		return e.errorf("session show: %s", sessionErr(err))
	}
	if *asJSON {
		return writeJSON(e, st)
	}
	printSessionStatus(e.stdout, st, *all, newPalette(e, f.noColor))
	return exitOK
}

// sessionListLimit is how many names show prints per list without --all.
const sessionListLimit = 12

func printSessionStatus(w io.Writer, st *pipeline.Status, all bool, p palette) {
	fmt.Fprintf(w, "session %s (root %s)\n", st.Dir, st.Root)
	for _, msg := range st.Warnings {
		fmt.Fprintf(w, "%s %s\n", p.yellow.Sprint("warning:"), msg)
	}
	if len(st.Targets) == 0 {
		fmt.Fprintln(w, "no saved targets")
		return
	}
	for _, t := range st.Targets {
		printSessionTarget(w, t, all, p)
	}
}

func printSessionTarget(w io.Writer, t pipeline.TargetStatus, all bool, p palette) {
	state := map[string]*color.Color{"valid": p.green, "stale": p.yellow, "untracked": p.yellow, "unusable": p.red, "foreign": p.red}[t.State]
	fmt.Fprintf(w, "\n%s  %s", p.bold.Sprint(t.Target), state.Sprint(t.State))
	m := t.Manifest
	if m == nil {
		fmt.Fprintf(w, "  %s\n", t.Warning)
		return
	}
	fmt.Fprintf(w, "  %d cells, %d factories, %d files checked in %s (%d rehashed)\n",
		len(m.Cells), len(m.Factories), t.Stated, t.Elapsed.Round(time.Microsecond*100), t.Rehashed)
	fmt.Fprintf(w, "  %s saved %s by lywatch %s, %s\n", p.dim.Sprint("layout"), m.Written.Local().Format("2006-01-02 15:04:05 MST"), m.Version, plural(t.HistoryFrames, "history frame"))
	fmt.Fprintf(w, "  %s %s (%d bytes)\n", p.dim.Sprint("      "), t.LayoutPath, m.Layout.Size)
	cells := make([]string, len(m.Cells))
	for i, c := range m.Cells {
		cells[i] = c.Name
		if c.Factory != "" {
			cells[i] += " (" + c.Factory + ")"
		}
	}
	printSessionList(w, p.dim.Sprint("cells"), cells, all)
	factories := make([]string, 0, len(m.Factories))
	for name := range m.Factories {
		factories = append(factories, name)
	}
	sort.Strings(factories)
	printSessionList(w, p.dim.Sprint("factories"), factories, all)
	if len(t.Changed) > 0 {
		changed := make([]string, len(t.Changed))
		for i, c := range t.Changed {
			changed[i] = string(c.Kind) + " " + c.Path
		}
		printSessionList(w, p.yellow.Sprint("changed"), changed, all)
	}
	if t.Stale != nil {
		if t.Stale.Error != "" {
			fmt.Fprintf(w, "  %s %s\n", p.yellow.Sprint("the graph cannot tell what is stale:"), t.Stale.Error)
		}
		printSessionList(w, p.yellow.Sprint("stale factories"), t.Stale.Factories, all)
		printSessionList(w, p.yellow.Sprint("stale cells"), t.Stale.Cells, all)
	}
}

func printSessionList(w io.Writer, label string, items []string, all bool) {
	if len(items) == 0 {
		return
	}
	shown := items
	if !all && len(items) > sessionListLimit {
		shown = items[:sessionListLimit]
	}
	fmt.Fprintf(w, "  %s: %s", label, strings.Join(shown, ", "))
	if len(shown) < len(items) {
		fmt.Fprintf(w, ", … and %d more (--all)", len(items)-len(shown))
	}
	fmt.Fprintln(w)
}
