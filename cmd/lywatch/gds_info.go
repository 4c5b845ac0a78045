package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/gds"
)

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
