package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/session"
)

// whyJSON is `lywatch why --json`.
type whyJSON struct {
	*depgraph.Description
	Since string   `json:"since,omitzero"`
	Stale bool     `json:"stale"`
	Chain []string `json:"chain,omitzero"`
	Files []string `json:"changed_files,omitzero"`
}

// runWhy explains what a factory, cell, function, module, file or target
// depends on and, given a snapshot to compare with, the chain of edits
// that made it stale.
func runWhy(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("why", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f graphFlags
	f.register(fs)
	since := fs.String("since", "", "a snapshot `file` (from 'lywatch graph --save') to compare with (default: the session's last good build)")
	asJSON := fs.Bool("json", false, "print as JSON")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, "Usage: lywatch why NAME [--since SNAPSHOT] [--root DIR] [--layout FILE [--target NAME] [--entry FILE]...]\n\nNAME is a factory, cell, function (module.name), module, file or target.\n\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError
	}
	name := pos[0]
	opts, err := f.options()
	if err != nil {
		return e.errorf("why: %v", err)
	}
	var snap *depgraph.Snapshot
	baseline := *since
	if *since != "" {
		if snap, err = readSnapshot(*since); err != nil {
			return e.errorf("why: %v", err)
		}
	} else {
		snap, baseline = sessionSnapshot(f.root, f.target)
	}
	var g *depgraph.Graph
	var inv *depgraph.Invalidation
	if snap != nil {
		g, inv, err = catchUp(ctx, snap, opts, f)
	} else {
		g, err = f.load(ctx, opts)
	}
	if err != nil {
		return e.errorf("why: %v", err)
	}
	d, err := g.Describe(name)
	if err != nil {
		return e.errorf("why: %v", err)
	}
	out := whyJSON{Description: d, Since: baseline}
	if inv != nil {
		out.Chain = inv.Explain(name)
		out.Stale = out.Chain != nil
		out.Files = inv.Files
	}
	if *asJSON {
		return writeJSON(e, out)
	}
	printWhy(e, out, f.noColor)
	return exitOK
}

// catchUp rebuilds the graph a snapshot recorded and updates it with the
// files changed on disk since; the invalidation says what is stale.
func catchUp(ctx context.Context, snap *depgraph.Snapshot, opts depgraph.Options, f graphFlags) (*depgraph.Graph, *depgraph.Invalidation, error) {
	if len(opts.Targets) == 0 {
		for _, l := range snap.Layouts {
			opts.Targets = append(opts.Targets, depgraph.Target{Name: l.Target})
		}
	}
	g, err := depgraph.FromSnapshot(snap, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := f.addLayout(g); err != nil {
		return nil, nil, err
	}
	inv, err := g.Refresh(ctx)
	if err != nil {
		return nil, nil, err
	}
	return g, inv, nil
}

// sessionSnapshot returns the graph the session saved with the last good
// build of target (default: the only target, or "default") of the project
// at dir, and words naming it; nil when there is none.
func sessionSnapshot(dir, target string) (*depgraph.Snapshot, string) {
	base, err := filepath.Abs(dir)
	if err != nil {
		return nil, ""
	}
	configDir := ""
	if p, err := config.Find(base); err == nil && p != "" {
		configDir = configSessionDir(p)
	}
	sdir, root := sessionLocation(base, "", configDir)
	st, err := session.OpenReadOnly(sdir, session.Options{Root: root})
	if err != nil {
		return nil, ""
	}
	defer st.Close()
	if target == "" {
		target = session.DefaultTarget
		if names, err := st.Targets(); err == nil && len(names) == 1 {
			target = names[0]
		}
	}
	m, err := st.Load(target)
	if err != nil || m == nil {
		return nil, ""
	}
	raw, err := st.LoadGraph(target, m)
	if err != nil || raw == nil {
		return nil, ""
	}
	var snap depgraph.Snapshot
	if json.Unmarshal(raw, &snap) != nil {
		return nil, ""
	}
	return &snap, "the session's last good build of " + target
}

func printWhy(e *env, w whyJSON, noColor bool) {
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
