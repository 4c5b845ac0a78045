package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/pipeline"
)

// runGraph prints the dependency graph of the project's factories.
func runGraph(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f graphFlags
	f.register(fs)
	asJSON := fs.Bool("json", false, "print the graph as JSON")
	asDOT := fs.Bool("dot", false, "print the graph in Graphviz dot")
	save := fs.String("save", "", "also write the graph's snapshot (JSON) to `FILE`, for 'lywatch why --since'")
	usage(fs, "Usage: lywatch graph [--json|--dot] [--root DIR] [--layout FILE [--target NAME] [--entry FILE]...]\n\n"+
		"Prints the dependency graph of the project's Python sources: per file, its definitions\n"+
		"and what each uses, the factories (with the decorator that made each), the cells of a\n"+
		"built layout and the targets. The project is found as the live loop finds it.")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.errorf("graph: unexpected argument %q", pos[0])
	}
	if *asJSON && *asDOT {
		return e.errorf("graph: --json and --dot exclude each other")
	}
	proj, err := f.project.resolve(e)
	if err != nil {
		return e.errorf("graph: %v", err)
	}
	g, err := pipeline.ScanGraph(ctx, proj, f.layoutArg())
	if err != nil {
		return e.errorf("graph: %v", err)
	}
	if *save != "" {
		if err := pipeline.WriteSnapshot(*save, g); err != nil {
			return e.errorf("graph: %v", err)
		}
	}
	switch {
	case *asJSON:
		err = writeGraphJSON(e.stdout, g, f.layout)
	case *asDOT:
		err = g.WriteDOT(e.stdout)
	default:
		printGraph(e, g, f)
	}
	if err != nil {
		return e.errorf("graph: %v", err)
	}
	return exitOK
}

// graphJSON is `lywatch graph --json`.
type graphJSON struct {
	Dir    string              `json:"dir"`
	Layout string              `json:"layout,omitzero"`
	Files  []graphFileJSON     `json:"files"`
	Nodes  []depgraph.NodeInfo `json:"nodes"`
	Cycles [][]string          `json:"cycles"`
	Errors []string            `json:"errors"`
}

type graphFileJSON struct {
	Path     string   `json:"path"`
	Module   string   `json:"module"`
	External []string `json:"external,omitzero"` // imported modules outside the project
	Err      string   `json:"error,omitzero"`
}

func writeGraphJSON(w io.Writer, g *depgraph.Graph, layout string) error {
	out := graphJSON{Dir: g.Dir(), Layout: layout, Nodes: g.Nodes(), Cycles: g.Cycles(), Errors: g.Errors()}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	for _, fi := range g.Files() {
		out.Files = append(out.Files, graphFileJSON{Path: fi.Path, Module: fi.Module, External: g.External(fi.Path), Err: fi.Err})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// printGraph prints, per file, its definitions and what each uses, then
// the targets, cycles and scan errors.
func printGraph(e *env, g *depgraph.Graph, f graphFlags) {
	bold, dim := colors(e, f.noColor)
	nodes := g.Nodes()
	byID := map[string]depgraph.NodeInfo{}
	byFile := map[string][]depgraph.NodeInfo{}
	nfact, ndef, ncell := 0, 0, 0
	for _, n := range nodes {
		byID[n.ID] = n
		switch n.Kind {
		case "factory":
			nfact++
			fallthrough
		case "function", "class":
			ndef++
		case "cell":
			ncell++
		}
		if n.File != "" {
			byFile[n.File] = append(byFile[n.File], n)
		}
	}
	files := g.Files()
	fmt.Fprintf(e.stdout, "%s  %d files, %d functions and classes, %d factories", g.Dir(), len(files), ndef, nfact)
	if f.layout != "" {
		fmt.Fprintf(e.stdout, ", %d cells from %s", ncell, f.layout)
	} else {
		fmt.Fprint(e.stdout, dim.Sprint(" (no cells: give --layout FILE)"))
	}
	fmt.Fprintln(e.stdout)
	for _, fi := range files {
		ns := byFile[fi.Path]
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].Line < ns[j].Line })
		fmt.Fprintf(e.stdout, "\n%s %s\n", bold.Sprint(fi.Path), dim.Sprint("("+fi.Module+")"))
		for _, n := range ns {
			head := n.Kind + " " + shortName(n.Name, fi.Module)
			switch {
			case n.Kind == "module":
				head = "top-level code"
			case n.EndLine == 0:
				head += dim.Sprintf("  %d", n.Line)
			default:
				head += dim.Sprintf("  %d-%d", n.Line, n.EndLine)
			}
			if n.Decorator != "" {
				head += dim.Sprintf("  made by @%s", n.Decorator)
			}
			groups := map[string][]string{}
			for _, d := range n.Deps {
				to := byID[d.To]
				name := to.Name
				if to.Kind != "module" {
					name = shortName(name, fi.Module)
				}
				groups[d.Kind] = append(groups[d.Kind], name)
			}
			line := "  " + head
			for _, k := range [...]struct{ kind, words string }{{"imports", "imports"}, {"uses", "uses"}, {"reads", "reads"}, {"uses-cell", "cells contain"}} {
				if len(groups[k.kind]) > 0 {
					line += dim.Sprintf("  %s ", k.words) + strings.Join(groups[k.kind], ", ")
				}
			}
			fmt.Fprintln(e.stdout, line)
		}
	}
	printTargets(e, nodes, byID)
	if cs := g.Cycles(); len(cs) > 0 {
		fmt.Fprintln(e.stdout, bold.Sprint("\nimport cycles:"))
		for _, c := range cs {
			fmt.Fprintf(e.stdout, "  %s\n", strings.Join(c, " <-> "))
		}
	}
	if errs := g.Errors(); len(errs) > 0 {
		fmt.Fprintln(e.stdout, bold.Sprint("\nfiles that do not scan (their last good state is kept):"))
		for _, err := range errs {
			fmt.Fprintf(e.stdout, "  %s\n", err)
		}
	}
	for _, note := range g.Notes() {
		fmt.Fprintf(e.stdout, "\n%s\n", note)
	}
}

// printTargets prints each target's entry files and its cells, with the
// factories that made them.
func printTargets(e *env, nodes []depgraph.NodeInfo, byID map[string]depgraph.NodeInfo) {
	for _, n := range nodes {
		if n.Kind != "target" {
			continue
		}
		var entries []string
		ncell := 0
		for _, d := range n.Deps {
			switch d.Kind {
			case "entry":
				if to := byID[d.To]; to.Kind == "module" {
					entries = append(entries, to.File)
				}
			case "contains":
				ncell++
			}
		}
		fmt.Fprintf(e.stdout, "\ntarget %s: entry files %s; %d cells\n", n.Name, orNone(entries), ncell)
		for _, d := range n.Deps {
			c := byID[d.To]
			if c.Kind != "cell" {
				continue
			}
			var made, kids []string
			for _, cd := range c.Deps {
				if cd.Kind == "made-by" {
					made = append(made, byID[cd.To].Name)
				} else {
					kids = append(kids, byID[cd.To].Name)
				}
			}
			fmt.Fprintf(e.stdout, "  cell %s  made by %s", c.Name, orNone(made))
			if len(kids) > 0 {
				fmt.Fprintf(e.stdout, "; contains %s", strings.Join(kids, ", "))
			}
			fmt.Fprintln(e.stdout)
		}
	}
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// shortName drops the module prefix of a name in the same module.
func shortName(name, module string) string {
	if s, ok := strings.CutPrefix(name, module+"."); ok {
		return s
	}
	return name
}
