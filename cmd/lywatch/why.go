package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/lywatch/lywatch/pipeline"
)

// runWhy explains what a factory, cell, function, module, file or target
// depends on and, compared with the session's last good build (or a
// snapshot), the chain of edits that made it stale.
func runWhy(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("why", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f graphFlags
	f.register(fs)
	since := fs.String("since", "", "a snapshot `FILE` (from 'lywatch graph --save') to compare with (default: the session's last good build)")
	asJSON := fs.Bool("json", false, "print as JSON")
	usage(fs, "Usage: lywatch why NAME [--since SNAPSHOT] [--target T] [--root DIR] [--layout FILE [--entry FILE]...]\n\n"+
		"NAME is a target, cell, factory, function (module.name), module or file. Prints what it\n"+
		"depends on and, when something it depends on changed since the session's last good build\n"+
		"of the target (or since --since), the chain of edits that made it stale.")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError
	}
	proj, err := f.project.resolve(e)
	if err != nil {
		return e.errorf("why: %v", err)
	}
	x, err := pipeline.Why(ctx, proj, pos[0], pipeline.WhyOptions{Since: *since, Target: f.target, Layout: f.layoutArg()})
	if err != nil {
		return e.errorf("why: %v", err)
	}
	if *asJSON {
		return writeJSON(e, x)
	}
	printWhy(e, x, f.noColor)
	return exitOK
}

func printWhy(e *env, w *pipeline.Explanation, noColor bool) {
	bold, dim := colors(e, noColor)
	n := w.Node
	head := bold.Sprint(n.Label)
	if n.File != "" {
		if n.Line > 0 {
			head += dim.Sprintf("  %s:%d-%d", n.File, n.Line, n.EndLine)
		} else {
			head += dim.Sprintf("  %s", n.File)
		}
	}
	if n.Decorator != "" {
		head += dim.Sprintf("  made by @%s", n.Decorator)
	}
	fmt.Fprintln(e.stdout, head)
	if len(w.Also) > 0 {
		fmt.Fprintf(e.stdout, "%s\n", dim.Sprintf("(also named so: %v)", w.Also))
	}
	if len(w.Defines) > 0 {
		fmt.Fprintln(e.stdout, bold.Sprint("defines:"))
		for _, d := range w.Defines {
			fmt.Fprintf(e.stdout, "  %s\n", d)
		}
	}
	fmt.Fprintf(e.stdout, "%s %s\n", bold.Sprint("depends on:"), dim.Sprintf("(%d directly, %d in all)", len(w.Deps), w.AllDeps))
	for _, d := range w.Deps {
		fmt.Fprintf(e.stdout, "  %-10s %s\n", d.Kind, d.Label)
	}
	fmt.Fprintf(e.stdout, "%s %s\n", bold.Sprint("used by:"), dim.Sprintf("(%d directly)", len(w.Dependents)))
	for _, d := range w.Dependents {
		fmt.Fprintf(e.stdout, "  %-10s %s\n", d.Kind, d.Label)
	}
	switch {
	case w.Since == "":
		fmt.Fprintln(e.stdout, dim.Sprint("staleness: give --since SNAPSHOT (saved by 'lywatch graph --save SNAPSHOT') to see what changed since"))
	case !w.Stale:
		fmt.Fprintf(e.stdout, "%s nothing it depends on changed since %s (%s changed)\n", bold.Sprint("up to date:"), w.Since, plural(len(w.Files), "file"))
	default:
		fmt.Fprintf(e.stdout, "%s the chain from the edit:\n", bold.Sprint("stale:"))
		for i, l := range w.Chain {
			if i == 0 {
				fmt.Fprintf(e.stdout, "  %s\n", l)
				continue
			}
			fmt.Fprintf(e.stdout, "  %*s-> %s\n", 2*(i-1), "", l)
		}
	}
}
