package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
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
	Name string `json:"name"`
	// Ghost marks a cell the file places but never defines, read as KLayout
	// reads it: an empty ghost cell.
	Ghost     bool              `json:"ghost,omitempty"`
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
		ic := gdsInfoCell{Name: c.Name, Ghost: c.Ghost, LocalHash: hashes[c.Name].Local, DeepHash: hashes[c.Name].Deep,
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
	printWarnings(e.stderr, "info", pos[0], lib)
	if *asJSON {
		return writeJSON(e, info)
	}
	printInfo(e, info, *noColor)
	return exitOK
}

// maxGhostWarnings is how many warnings about ghost cells are printed one
// by one; the rest are counted in one line.
const maxGhostWarnings = 5

// printWarnings prints the reader's warnings about a file on w, those
// about ghost cells (references to undefined cells) up to
// maxGhostWarnings, then one line for the rest.
func printWarnings(w io.Writer, cmd, file string, lib *gds.Library) {
	ghosts := 0
	for _, warn := range lib.Warnings {
		if warn.Ghost != "" {
			if ghosts++; ghosts > maxGhostWarnings {
				continue
			}
		}
		fmt.Fprintf(w, "lywatch: gds %s: %s: warning: %s\n", cmd, file, warn)
	}
	if more := ghosts - maxGhostWarnings; more > 0 {
		fmt.Fprintf(w, "lywatch: gds %s: %s: warning: and %d more undefined cells, read as empty ghost cells (%d in all)\n",
			cmd, file, more, ghosts)
	}
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
	ghosts := 0
	for _, c := range info.Cells {
		if c.Ghost {
			ghosts++
		}
	}
	if ghosts > 0 {
		fmt.Fprintf(w, "%s %d (%d of them ghost cells: placed, not defined)\n", bold.Sprint("cells:"), len(info.Cells), ghosts)
	} else {
		fmt.Fprintf(w, "%s %d\n", bold.Sprint("cells:"), len(info.Cells))
	}
	for _, c := range info.Cells {
		if c.Ghost {
			fmt.Fprintf(w, "  %s  ghost: placed, not defined  %s\n", bold.Sprint(c.Name), dim.Sprintf("hash %.12s", c.DeepHash))
			continue
		}
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
