package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/geomdiff"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/pipeline"
)

// runGDSDiff compares two layouts cell by cell: exit 0 equal, 1 different.
// With --xor (or --show, --rdb) it compares their geometry with KLayout's
// XOR instead: exit 0 the same geometry, 1 different.
func runGDSDiff(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	noColor := fs.Bool("no-color", false, "no colours")
	xor := fs.Bool("xor", false, "compare the geometry with KLayout's XOR: area, polygons and box per cell and layer")
	tolerance := fs.Int("tolerance", 0, "with --xor: ignore differences up to `DBU` database units wide")
	rdb := fs.String("rdb", "", "with --xor: write the XOR as a KLayout report database (.lyrdb) to `FILE` (with --show, default B.xor.lyrdb beside B)")
	show := fs.Bool("show", false, "push B into KLayout with the XOR as a report database in the marker browser (implies --xor)")
	kf := addIPCTargetFlags(fs, ipc.DefaultTimeout)
	start := time.Now()
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
	factory := projectFactoryRule(ctx, e, pos)
	if !*xor && !*show && *rdb == "" {
		res := gds.DiffWith(libs[0], libs[1], gds.DiffOptions{Factory: factory})
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
	if *tolerance < 0 {
		return e.errorf("gds diff: --tolerance %d: want 0 or more database units", *tolerance)
	}
	opts := geomdiff.Options{Tolerance: *tolerance, Factory: factory, RDB: *rdb}
	if *show && opts.RDB == "" {
		// Beside B: KLayout's server reads files only in the folders of
		// the layouts it is sent (and those the user allows).
		opts.RDB = strings.TrimSuffix(pos[1], filepath.Ext(pos[1])) + ".xor.lyrdb"
	}
	res, err := geomdiff.CompareLibraries(ctx, pos[0], pos[1], libs[0], libs[1], opts, start)
	if err != nil {
		return e.errorf("gds diff: %v", err)
	}
	code = exitOK
	if !res.Same {
		code = exitFail
	}
	if *asJSON {
		if c := writeJSON(e, res); c != exitOK {
			return c
		}
	} else {
		printGeometry(e.stdout, res, pos, newXORPalette(colorOn(e, *noColor)))
	}
	if *show {
		if c := showDiff(ctx, e, kf, pos[1], res); c != exitOK {
			return c
		}
	}
	return code
}

// printGeometry prints the geometric comparison.
func printGeometry(w io.Writer, res *geomdiff.Result, files []string, p xorPalette) {
	switch {
	case res.Identical:
		fmt.Fprintf(w, "%s and %s are equal\n", files[0], files[1])
	case res.Same:
		fmt.Fprintf(w, "%s and %s have the same geometry (%s compared by KLayout's XOR)\n", files[0], files[1], plural(res.Compared, "cell"))
	}
	printXOR(w, "", res, p)
	if !res.Same {
		fmt.Fprintf(w, "%s\n", p.dim.Sprintf("%s of %s differ (XOR by KLayout in %s)", plural(len(res.Cells), "cell"), plural(res.Compared, "changed cell"),
			res.XORTime.Round(time.Millisecond)))
	}
}

// showDiff pushes B into KLayout with the report database.
func showDiff(ctx context.Context, e *env, kf *ipcTargetFlags, b string, res *geomdiff.Result) int {
	c, err := kf.client()
	if err != nil {
		return e.errorf("gds diff --show: %v", err)
	}
	path, err := filepath.Abs(b)
	if err != nil {
		return e.errorf("gds diff --show: %v", err)
	}
	pr, err := c.Push(ctx, path, ipc.PushOptions{RDB: res.RDB})
	if err != nil {
		return e.errorf("gds diff --show: %v", err)
	}
	switch {
	case pr.RDB != nil:
		fmt.Fprintf(e.stderr, "lywatch: pushed %s into KLayout with the XOR in the marker browser (%s, %s)\n",
			filepath.Base(path), plural(len(pr.RDB.Categories), "layer"), plural(pr.RDB.Items, "item"))
	case c.Protocol == ipc.ProtoLywatch:
		fmt.Fprintf(e.stderr, "lywatch: pushed %s into KLayout, but its lywatch server does not show report databases: "+
			"run 'lywatch klayout install' and restart KLayout; the XOR is in %s (File > Open in the marker browser)\n", filepath.Base(path), res.RDB)
	default:
		fmt.Fprintf(e.stderr, "lywatch: pushed %s; %s cannot be asked whether it shows report databases: the XOR is in %s\n", filepath.Base(path), c.Protocol, res.RDB)
	}
	return exitOK
}

// projectFactoryRule is the rule pairing renamed cells: the project's
// graph's when a configuration applies here (or a session was adopted),
// else the layouts' metadata and their NAME.cells.json files.
func projectFactoryRule(ctx context.Context, e *env, layouts []string) func(string, map[string]string) string {
	var pf projectFlags
	quiet := &env{stdin: e.stdin, stdout: io.Discard, stderr: io.Discard}
	proj, err := pf.resolve(quiet)
	if err != nil || proj.Config.File == "" && !proj.Adopted {
		return pipeline.FactoryRule(nil, layouts...)
	}
	g, err := pipeline.ScanGraph(ctx, proj, pipeline.Layout{})
	if err != nil {
		return pipeline.FactoryRule(nil, layouts...)
	}
	return pipeline.FactoryRule(g, layouts...)
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
