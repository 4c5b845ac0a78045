package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/gds"
)

const gdsUsage = `Usage:
  lywatch gds info FILE [--json]      database unit, top cells, per-cell hashes and counts
  lywatch gds diff A B [--json]       compare two layouts; exit 0 equal, 1 different, 2 error
  lywatch gds gzip IN OUT [--level N] rewrite a layout as .gds.gz (or .gds), with lywatch's writer
`

// runGDS runs `lywatch gds info|diff|gzip`.
func runGDS(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, gdsUsage)
		return exitError
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, gdsUsage)
		return exitOK
	}
	switch args[0] {
	case "info":
		return runGDSInfo(ctx, e, args[1:])
	case "diff":
		return runGDSDiff(ctx, e, args[1:])
	case "gzip":
		return runGDSGzip(ctx, e, args[1:])
	}
	return e.errorf("gds: unknown subcommand %q\n%s", args[0], gdsUsage)
}

// gdsFlags parses flags mixed with positional arguments (`info FILE --json`
// and `info --json FILE` alike) and checks the number of positionals.
func gdsFlags(e *env, fs *flag.FlagSet, args []string, want int) ([]string, int, bool) {
	fs.SetOutput(e.stderr)
	usage(fs, gdsUsage)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return nil, code, false
	}
	if len(pos) != want {
		fmt.Fprintf(e.stderr, "lywatch: gds %s: want %d file argument(s), got %d\n%s", fs.Name(), want, len(pos), gdsUsage)
		return nil, exitError, false
	}
	return pos, exitOK, true
}

// colors returns a bold and a dim printer, plain when asked or not a terminal.
func colors(e *env, noColor bool) (bold, dim *color.Color) {
	on := colorOn(e, noColor)
	return newColor(on, color.Bold), newColor(on, color.Faint)
}

type gdsInfoCell struct {
	Name      string            `json:"name"`
	LocalHash string            `json:"local_hash"`
	DeepHash  string            `json:"deep_hash"`
	Shapes    int               `json:"shapes"`
	Instances int               `json:"instances"`
	Children  []string          `json:"children"`
	Meta      map[string]string `json:"meta"`
}

type gdsInfo struct {
	File     string        `json:"file"`
	DBU      float64       `json:"dbu"`
	UserUnit float64       `json:"user_unit"`
	TopCells []string      `json:"top_cells"`
	Cells    []gdsInfoCell `json:"cells"`
}

func runGDSInfo(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	noColor := fs.Bool("no-color", false, "no colours")
	pos, code, ok := gdsFlags(e, fs, args, 1)
	if !ok {
		return code
	}
	lib, err := gds.ReadFileContext(ctx, pos[0], gds.ReadOptions{HashOnly: true})
	if err != nil {
		return e.errorf("gds info: %v", err)
	}
	hashes, err := lib.Hashes()
	if err != nil {
		return e.errorf("gds info: %s: %v", pos[0], err)
	}
	info := gdsInfo{File: pos[0], DBU: lib.DBUMicrons(), UserUnit: lib.UserUnit, TopCells: lib.TopCells(), Cells: []gdsInfoCell{}}
	if info.TopCells == nil {
		info.TopCells = []string{}
	}
	for _, c := range lib.Cells {
		ic := gdsInfoCell{Name: c.Name, LocalHash: hashes[c.Name].Local, DeepHash: hashes[c.Name].Deep,
			Shapes: c.NumShapes(), Instances: len(c.Refs), Children: c.Children(), Meta: c.Meta}
		if ic.Children == nil {
			ic.Children = []string{}
		}
		if ic.Meta == nil {
			ic.Meta = map[string]string{}
		}
		info.Cells = append(info.Cells, ic)
	}
	sort.Slice(info.Cells, func(i, j int) bool { return info.Cells[i].Name < info.Cells[j].Name })
	for _, w := range lib.Warnings {
		fmt.Fprintf(e.stderr, "lywatch: gds info: %s: warning: %s\n", pos[0], w)
	}
	if *asJSON {
		return writeJSON(e, info)
	}
	printInfo(e, info, *noColor)
	return exitOK
}

func writeJSON(e *env, v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return e.errorf("%v", err)
	}
	return exitOK
}

func printInfo(e *env, info gdsInfo, noColor bool) {
	bold, dim := colors(e, noColor)
	w := e.stdout
	fmt.Fprintf(w, "%s %s\n", bold.Sprint("file:"), info.File)
	fmt.Fprintf(w, "%s %g µm (user unit %g)\n", bold.Sprint("dbu:"), info.DBU, info.UserUnit)
	fmt.Fprintf(w, "%s %s\n", bold.Sprint("top cells:"), strings.Join(info.TopCells, ", "))
	fmt.Fprintf(w, "%s %d\n", bold.Sprint("cells:"), len(info.Cells))
	for _, c := range info.Cells {
		fmt.Fprintf(w, "  %s  shapes %d  instances %d  %s\n", bold.Sprint(c.Name), c.Shapes, c.Instances,
			dim.Sprintf("local %.12s deep %.12s", c.LocalHash, c.DeepHash))
		if len(c.Children) > 0 {
			fmt.Fprintf(w, "    children: %s\n", strings.Join(c.Children, ", "))
		}
		keys := make([]string, 0, len(c.Meta))
		for k := range c.Meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "    %s = %s\n", dim.Sprint(k), c.Meta[k])
		}
	}
}

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
	for _, n := range res.Removed {
		fmt.Fprintf(w, "%s %s\n", red.Sprint("- cell"), n)
	}
	for _, n := range res.Added {
		fmt.Fprintf(w, "%s %s\n", green.Sprint("+ cell"), n)
	}
	for _, c := range res.Changed {
		fmt.Fprintf(w, "%s %s\n", bold.Sprint("~ cell"), c.Name)
		for _, l := range c.Layers {
			fmt.Fprintf(w, "    layer %d/%d: %s %s\n", l.Layer, l.Datatype,
				green.Sprintf("+%d", l.Added), red.Sprintf("-%d", l.Removed))
		}
		if c.InstancesChanged {
			fmt.Fprintf(w, "    instances changed\n")
		}
	}
}

func runGDSGzip(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("gzip", flag.ContinueOnError)
	level := fs.Int("level", 1, "gzip level, 1 (fastest) to 9 (smallest)")
	pos, code, ok := gdsFlags(e, fs, args, 2)
	if !ok {
		return code
	}
	if *level < 1 || *level > 9 {
		return e.errorf("gds gzip: --level %d: want 1 to 9", *level)
	}
	lib, err := gds.ReadFileContext(ctx, pos[0], gds.ReadOptions{})
	if err != nil {
		return e.errorf("gds gzip: %v", err)
	}
	opts := gds.WriteOptions{GzipLevel: *level}
	if err := gds.WriteFileOptions(pos[1], lib, opts); err != nil {
		return e.errorf("gds gzip: %v", err)
	}
	return exitOK
}
