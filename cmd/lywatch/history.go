package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lywatch/lywatch/pipeline"
)

const historyUsage = `Usage: lywatch history [--target T] [--json] [--all]

Lists the history frames of the session: one per good build that changed
the layout (an identical rebuild adds none), oldest first. Each line has
the frame's number, time and status ("current" is the layout KLayout shows
after a replay), the files that changed since the frame before (what the
build was for), the cells it changed and removed, the git commit of the
sources when the checkout had no uncommitted change to them, and the steps
the build traced. 'lywatch replay' shows them again.
`

func runHistory(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	usage(fs, historyUsage)
	var pf projectFlags
	pf.register(fs, false)
	target := fs.String("target", "", "only this target `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "list every cell and file, not the first few")
	noColor := fs.Bool("no-color", false, "no colours")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.errorf("history: unexpected argument %q", pos[0])
	}
	proj, err := pf.resolve(e)
	if err != nil {
		return e.errorf("history: %s", sessionErr(err))
	}
	var only []string
	if *target != "" {
		only = []string{*target}
	}
	h, err := pipeline.ReadHistory(proj, only...)
	if err != nil {
		return e.errorf("history: %s", sessionErr(err))
	}
	if *asJSON {
		return writeJSON(e, h)
	}
	printHistory(e.stdout, h, *all, newPalette(e, *noColor))
	return exitOK
}

func printHistory(w io.Writer, h *pipeline.History, all bool, p palette) {
	if len(h.Targets) == 0 {
		fmt.Fprintf(w, "no history in %s yet: run lywatch and let a build succeed\n", h.Dir)
		return
	}
	for i, t := range h.Targets {
		if i > 0 {
			fmt.Fprintln(w)
		}
		head := p.bold.Sprint(t.Target)
		if t.Output != "" {
			head += " " + p.dim.Sprint(t.Output)
		}
		fmt.Fprintf(w, "%s  %s\n", head, plural(len(t.Frames), "frame"))
		if t.Warning != "" {
			fmt.Fprintf(w, "  %s %s\n", p.yellow.Sprint("warning:"), t.Warning)
		}
		for _, f := range t.Frames {
			fmt.Fprintln(w, "  "+historyLine(f, all, p))
		}
	}
}

// historyLine is one frame: "  12  2025-05-02 14:05:10  current  mmi.py → 4 changed: chip, mmi1x2, … · commit 1a2b3c4d · 3 trace steps".
func historyLine(f pipeline.HistoryFrame, all bool, p palette) string {
	when := f.Time
	if t, err := time.Parse(time.RFC3339Nano, f.Time); err == nil {
		when = t.Local().Format("2006-01-02 15:04:05")
	}
	status := p.dim.Sprintf("%-7s", f.Status)
	if f.Status == pipeline.FrameCurrent {
		status = p.green.Sprintf("%-7s", f.Status)
	}
	parts := []string{frameSummary(f.Trigger, f.Changed, f.Removed, all)}
	if f.Commit != "" {
		parts = append(parts, "commit "+shortCommit(f.Commit))
	}
	if f.TraceSteps > 0 || f.TraceDropped > 0 {
		tr := plural(f.TraceSteps, "trace step")
		if f.TraceDropped > 0 {
			tr += fmt.Sprintf(" (%d dropped)", f.TraceDropped)
		}
		parts = append(parts, tr)
	}
	return fmt.Sprintf("%4d  %s  %s  %s", f.Seq, when, status, strings.Join(parts, " · "))
}
