package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/project"
)

const checkUsage = `Usage: lywatch check [--target T]... [--json] [--reference FILE] [--update] [--artifacts DIR] [--tolerance DBU]
       lywatch check --session [--target T]... [--json]

For pre-commit hooks and CI. From the session and the dependency graph, check
works out which targets the working tree's changes reach and builds only those,
into a temporary folder (the outputs and the session are never written; a build
is redirected by replacing its output path in its command, e.g. -rd out=PATH,
and by $LYWATCH_OUTPUT). The other targets' last good layouts come from the
session. Each layout is compared with the target's reference (reference = "..."
in the configuration, or --reference): by hashes, then, for the cells whose
hashes differ, by KLayout's per-layer XOR. It prints, per cell and layer, the
XOR area, the polygons and the box of the difference.

--session answers "is anything stale?" from the session and the graph alone,
without building, with the chain from the edit to each stale target; it works
while the live loop runs.

Exit status: 0 the same (or nothing stale), 1 different, no reference yet, or
stale, 2 an error (a build that fails: its output says why).
`

// runCheck is `lywatch check`.
func runCheck(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var pf projectFlags
	pf.register(fs, false)
	var targets listValue
	fs.Var(&targets, "target", "check only target `NAME` (repeatable)")
	asJSON := fs.Bool("json", false, "print the report as JSON on standard output (the builds' output goes to standard error)")
	reference := fs.String("reference", "", "compare with this reference layout `FILE` (one target)")
	update := fs.Bool("update", false, "accept the new layouts as the references (writes the reference files)")
	artifacts := fs.String("artifacts", "", "write an XOR layout, a PNG per differing cell and report.json into `DIR`")
	tolerance := fs.Int("tolerance", 0, "ignore differences up to `DBU` database units wide (slivers up to twice as wide drop out)")
	sessionOnly := fs.Bool("session", false, "only say what is stale, from the session and the graph, without building")
	noColor := fs.Bool("no-color", false, "no colours")
	usage(fs, checkUsage)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.errorf("check: unexpected argument %q\n%s", pos[0], checkUsage)
	}
	if *tolerance < 0 {
		return e.errorf("check: --tolerance %d: want 0 or more database units", *tolerance)
	}
	proj, err := pf.resolve(e)
	if err != nil {
		return e.errorf("check: %v", err)
	}
	pal := newXORPalette(colorOn(e, *noColor))
	if *sessionOnly {
		sc, err := pipeline.CheckSession(ctx, proj, targets...)
		if err != nil {
			return e.errorf("check --session: %v", err)
		}
		if *asJSON {
			if c := writeJSON(e, sc); c != exitOK {
				return c
			}
		} else {
			printSessionCheck(e.stdout, sc, pal)
		}
		if sc.Stale() {
			return exitFail
		}
		return exitOK
	}
	ref := *reference
	if ref != "" && !filepath.IsAbs(ref) {
		ref, _ = filepath.Abs(ref)
	}
	rep, err := pipeline.Check(ctx, proj, pipeline.CheckOptions{
		Targets: targets, Reference: ref, Update: *update, Artifacts: *artifacts, Tolerance: *tolerance,
		Out: e.stderr, Color: colorOn(e, *noColor),
		Logf: func(format string, args ...any) { fmt.Fprintf(e.stderr, "lywatch: "+format+"\n", args...) },
	})
	if err != nil {
		return e.errorf("check: %v", err)
	}
	if *asJSON {
		if c := writeJSON(e, rep); c != exitOK {
			return c
		}
	} else {
		printCheck(e.stdout, rep, proj.Dir, pal)
	}
	switch {
	case rep.Failed():
		return exitError
	case rep.Different():
		return exitFail
	}
	return exitOK
}

// printCheck prints a line per target and, for a target that differs, its
// cells and layers.
func printCheck(w io.Writer, rep *pipeline.CheckReport, dir string, p xorPalette) {
	different := 0
	for _, t := range rep.Targets {
		name := t.Target
		if name == project.DefaultTarget && t.Output != "" {
			name = rel(dir, t.Output) // the single unnamed target
		}
		from := "from the session"
		if t.Built {
			from = "built"
		}
		ref := rel(dir, t.Reference)
		switch t.Status {
		case pipeline.CheckSame:
			note := "same geometry as " + ref
			if t.Diff != nil && t.Diff.Identical {
				note = "same as " + ref
			}
			fmt.Fprintf(w, "%s: %s, %s\n", p.bold.Sprint(name), from, p.green.Sprint(note))
		case pipeline.CheckDifferent:
			different++
			fmt.Fprintf(w, "%s: %s, %s\n", p.bold.Sprint(name), from, p.red.Sprintf("differs from %s", ref))
		case pipeline.CheckUpdated:
			fmt.Fprintf(w, "%s: %s, %s\n", p.bold.Sprint(name), from, p.green.Sprintf("written to %s (the new reference)", ref))
		case pipeline.CheckNoReference:
			different++
			fmt.Fprintf(w, "%s: %s, %s\n", p.bold.Sprint(name), from, p.red.Sprint(t.Error))
		case pipeline.CheckUnchecked:
			fmt.Fprintf(w, "%s: %s, %s\n", p.bold.Sprint(name), from, p.dim.Sprint(t.Error))
		default:
			fmt.Fprintf(w, "%s: %s\n", p.bold.Sprint(name), p.red.Sprint("error: "+t.Error))
		}
		if t.Diff != nil {
			printXOR(w, "  ", t.Diff, p)
		}
		if t.Artifacts != "" {
			fmt.Fprintf(w, "  %s\n", p.dim.Sprintf("XOR layout and pictures in %s", t.Artifacts))
		}
	}
	switch {
	case different == 1:
		fmt.Fprintln(w, "1 target differs: if the change is meant, accept it with 'lywatch check --update'")
	case different > 1:
		fmt.Fprintf(w, "%d targets differ: if the changes are meant, accept them with 'lywatch check --update'\n", different)
	}
}

// printSessionCheck prints a line per target, and the chain of each stale
// one.
func printSessionCheck(w io.Writer, sc *pipeline.SessionCheck, p xorPalette) {
	for _, msg := range sc.Warnings {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
	for _, t := range sc.Targets {
		switch {
		case !t.Stale && t.Reason == "":
			fmt.Fprintf(w, "%s: %s\n", p.bold.Sprint(t.Target), p.green.Sprint("up to date"))
		case !t.Stale:
			fmt.Fprintf(w, "%s: %s (%s)\n", p.bold.Sprint(t.Target), p.green.Sprint("up to date"), t.Reason)
		default:
			fmt.Fprintf(w, "%s: %s (%s)\n", p.bold.Sprint(t.Target), p.red.Sprint("stale"), t.Reason)
		}
		for i, l := range t.Chain {
			if i == 0 {
				fmt.Fprintf(w, "  %s\n", l)
				continue
			}
			fmt.Fprintf(w, "  %*s-> %s\n", 2*(i-1), "", l)
		}
	}
	fmt.Fprintf(w, "%s\n", p.dim.Sprintf("from the session and the graph in %s", sc.Elapsed.Round(100_000)))
}

// rel shows p relative to dir when it lies below it.
func rel(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil && filepath.IsLocal(r) {
		return r
	}
	return p
}
