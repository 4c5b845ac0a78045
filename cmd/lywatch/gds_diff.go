package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/gds"
)

// runGDSDiff compares two layouts cell by cell: exit 0 equal, 1 different.
func runGDSDiff(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	noColor := fs.Bool("no-color", false, "no colours")
	pos, code, ok := gdsFlags(e, fs, args, 2)
	if !ok {
		return code
	}
	var libs [2]*gds.Library
	for i, p := range pos {
		lib, err := gds.ReadFileContext(ctx, p, gds.ReadOptions{HashOnly: true, KeepDigests: true})
		if err != nil {
			return e.errorf("gds diff: %v", err)
		}
		libs[i] = lib
		printWarnings(e.stderr, "diff", p, lib)
	}
	res := gds.Diff(libs[0], libs[1])
	code = exitOK
	if !res.Equal {
		code = exitFail
	}
	if *asJSON {
		if c := writeJSON(e, res); c != exitOK {
			return c
		}
		return code
	}
	printDiff(e.stdout, res, pos, colorOn(e, *noColor))
	return code
}

func printDiff(w io.Writer, res *gds.DiffResult, files []string, on bool) {
	bold, red, green := newColor(on, color.Bold), newColor(on, color.FgRed), newColor(on, color.FgGreen)
	if res.Equal {
		fmt.Fprintf(w, "%s and %s are equal\n", files[0], files[1])
		return
	}
	if res.DBUChanged {
		fmt.Fprintf(w, "%s %g m -> %g m\n", bold.Sprint("database unit changed:"), res.DBU[0], res.DBU[1])
	}
	ghost := func(names []string, n string) string {
		if slices.Contains(names, n) {
			return " (ghost: placed, not defined)"
		}
		return ""
	}
	for _, n := range res.Removed {
		fmt.Fprintf(w, "%s %s%s\n", red.Sprint("- cell"), n, ghost(res.GhostsA, n))
	}
	for _, n := range res.Added {
		fmt.Fprintf(w, "%s %s%s\n", green.Sprint("+ cell"), n, ghost(res.GhostsB, n))
	}
	for _, c := range res.Changed {
		if c.RenamedFrom != "" {
			fmt.Fprintf(w, "%s %s modified (renamed from %s)\n", bold.Sprint("~ cell"), c.Name, c.RenamedFrom)
		} else {
			fmt.Fprintf(w, "%s %s\n", bold.Sprint("~ cell"), c.Name)
		}
		switch {
		case c.GhostA:
			fmt.Fprintf(w, "    was a ghost (placed, not defined), now defined\n")
		case c.GhostB:
			fmt.Fprintf(w, "    was defined, now a ghost (placed, not defined)\n")
		}
		for _, l := range c.Layers {
			fmt.Fprintf(w, "    layer %d/%d: %s %s\n", l.Layer, l.Datatype,
				green.Sprintf("+%d", l.Added), red.Sprintf("-%d", l.Removed))
		}
		if c.InstancesChanged {
			fmt.Fprintf(w, "    instances changed\n")
		}
	}
}
