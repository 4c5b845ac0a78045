package depgraph

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// NodeInfo is one node of the graph as plain data (for JSON output and
// `lywatch why`).
type NodeInfo struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"` // module, function, class, factory, method, binding, file, package, cell, target
	Name    string `json:"name"` // module, qualified def, method or binding, file path, package, cell or target name
	Label   string `json:"label"`
	File    string `json:"file,omitzero"`
	Line    int    `json:"line,omitzero"` // def/class/method line, a binding's first line
	EndLine int    `json:"end_line,omitzero"`
	Target  string `json:"target,omitzero"` // a cell's target
	// Decorator is what made a factory one: the decorator as written, or
	// a module-private wrapper and what it is built on.
	Decorator string `json:"decorator,omitzero"`
	// Version is an installed package's distribution and version
	// ("gdsfactory 9.1.0"), "" when no distribution provides it.
	Version string `json:"version,omitzero"`
	Deps    []Edge `json:"deps,omitzero"`
}

// Edge is one dependency: the node depended on and why.
type Edge struct {
	To   string `json:"to"`   // node id
	Kind string `json:"kind"` // in-module, uses, imports, made-by, contains, uses-cell, entry
}

func (k edgeKind) String() string {
	switch k {
	case edgeInModule:
		return "in-module"
	case edgeRef:
		return "uses"
	case edgeImport:
		return "imports"
	case edgeMadeBy:
		return "made-by"
	case edgeContains:
		return "contains"
	case edgeUsesCell:
		return "uses-cell"
	case edgeEntry:
		return "entry"
	case edgeReads:
		return "reads"
	}
	return "depends"
}

func (n *node) kindName() string {
	switch n.kind {
	case kindModule:
		return "module"
	case kindDef:
		if n.factory() {
			return "factory"
		}
		if n.def.Kind == "class" {
			return "class"
		}
		return "function"
	case kindMethod:
		return "method"
	case kindBinding:
		return "binding"
	case kindFile:
		return "file"
	case kindPackage:
		return "package"
	case kindCell:
		return "cell"
	}
	return "target"
}

func (g *Graph) info(n *node) NodeInfo {
	ni := NodeInfo{ID: n.id, Kind: n.kindName(), Name: n.name, Label: n.label(), File: n.path, Target: n.target}
	switch {
	case n.def != nil:
		ni.Line, ni.EndLine, ni.Decorator = n.def.Line, n.def.EndLine, n.def.Maker
	case n.bind != nil:
		ni.Line = n.bind.Line
	case n.kind == kindPackage:
		if p := g.dists[n.name]; p.Name != "" {
			ni.Version = p.Name + " " + p.Version
		}
	}
	for _, d := range sortedEdges(n.deps) {
		ni.Deps = append(ni.Deps, Edge{To: d.n.id, Kind: d.k.String()})
	}
	return ni
}

type edgeTo struct {
	n *node
	k edgeKind
}

func sortedEdges(m map[*node]edgeKind) []edgeTo {
	out := make([]edgeTo, 0, len(m))
	for n, k := range m {
		out = append(out, edgeTo{n, k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n.id < out[j].n.id })
	return out
}

// Nodes returns every node, sorted by id.
func (g *Graph) Nodes() []NodeInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.nodeInfos()
}

func (g *Graph) nodeInfos() []NodeInfo {
	ids := make([]string, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]NodeInfo, len(ids))
	for i, id := range ids {
		out[i] = g.info(g.nodes[id])
	}
	return out
}

// find looks a name up as a target, a cell, a factory, a qualified or bare
// function, method or binding name, a module, a file path (relative to
// Dir or absolute: a module's file or a data file) or a package.
func (g *Graph) find(name string) []*node {
	var out []*node
	pick := func(ok func(n *node) bool) bool {
		for _, n := range g.nodes {
			if ok(n) {
				out = append(out, n)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
		return len(out) > 0
	}
	code := func(n *node) bool { return n.kind == kindDef || n.kind == kindMethod || n.kind == kindBinding }
	rel := g.rel(name)
	switch {
	case pick(func(n *node) bool { return n.kind == kindTarget && n.name == name }):
	case pick(func(n *node) bool { return n.kind == kindCell && n.name == name }):
	case pick(func(n *node) bool { return n.kind == kindDef && n.factory() && n.short == name }):
	case pick(func(n *node) bool { return code(n) && n.name == name }):
	case pick(func(n *node) bool { return n.kind == kindModule && n.name == name }):
	case pick(func(n *node) bool { return n.kind == kindModule && rel != "" && n.path == rel }):
	case pick(func(n *node) bool { return n.kind == kindFile && rel != "" && n.name == rel }):
	case pick(func(n *node) bool { return code(n) && n.short == name }):
	case pick(func(n *node) bool { return n.kind == kindPackage && n.name == name }):
	}
	return out
}

// Description is what `lywatch why` shows about one node: what it
// depends on, directly and in all, and what depends on it directly.
type Description struct {
	Node       NodeInfo   `json:"node"`
	Deps       []EdgeInfo `json:"deps"`       // direct dependencies
	Dependents []EdgeInfo `json:"dependents"` // direct dependents
	AllDeps    int        `json:"all_deps"`   // size of the transitive closure
	Defines    []string   `json:"defines,omitzero"`
	Also       []string   `json:"also,omitzero"` // other nodes with the same name
}

// EdgeInfo is an edge with the other node's label.
type EdgeInfo struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
	ID    string `json:"id"`
}

// Describe explains a node found by name (see Invalidation.Explain for
// the names taken). For a factory, Node.Decorator says what made it one.
func (g *Graph) Describe(name string) (*Description, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ns := g.find(name)
	if len(ns) == 0 {
		return nil, fmt.Errorf("depgraph: no target, cell, factory, function, module or file named %q", name)
	}
	n := ns[0]
	d := &Description{Node: g.info(n)}
	for _, e := range sortedEdges(n.deps) {
		d.Deps = append(d.Deps, EdgeInfo{Kind: e.k.String(), Label: e.n.label(), ID: e.n.id})
	}
	for _, e := range sortedEdges(n.rdeps) {
		d.Dependents = append(d.Dependents, EdgeInfo{Kind: e.k.String(), Label: e.n.label(), ID: e.n.id})
	}
	d.AllDeps = len(closure(n)) - 1
	if n.kind == kindModule {
		for _, def := range g.files[n.path].Defs {
			d.Defines = append(d.Defines, g.defs[n.module][def.Name].label())
		}
	}
	for _, o := range ns[1:] {
		d.Also = append(d.Also, o.label())
	}
	return d, nil
}

// WriteDOT writes the graph in Graphviz's dot language: an arrow from each
// node to what it depends on.
func (g *Graph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph lywatch {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n")
	shapes := map[string]string{"module": "folder", "function": "ellipse", "class": "component", "factory": "box", "method": "ellipse",
		"binding": "plaintext", "file": "tab", "package": "cylinder", "cell": "note", "target": "doubleoctagon"}
	g.mu.Lock()
	nodes := g.nodeInfos()
	g.mu.Unlock()
	for _, n := range nodes {
		fmt.Fprintf(&b, "  %q [label=%q, shape=%s];\n", n.ID, n.Label, shapes[n.Kind])
	}
	for _, n := range nodes {
		for _, e := range n.Deps {
			style := ""
			if e.Kind == "in-module" {
				style = ", style=dotted"
			}
			fmt.Fprintf(&b, "  %q -> %q [label=%q%s];\n", n.ID, e.To, e.Kind, style)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// closure returns n and everything it depends on, transitively.
func closure(n *node) map[*node]bool {
	seen := map[*node]bool{n: true}
	stack := []*node{n}
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for d := range m.deps {
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	return seen
}
