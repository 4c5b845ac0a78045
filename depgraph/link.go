package depgraph

import (
	"sort"
	"strings"
)

func addEdge(from, to *node, k edgeKind) {
	if from == nil || to == nil || from == to {
		return
	}
	if _, ok := from.deps[to]; ok {
		return
	}
	from.deps[to] = k
	to.rdeps[from] = k
}

func newNode(id string, kind nodeKind) *node {
	return &node{id: id, kind: kind, deps: map[*node]edgeKind{}, rdeps: map[*node]edgeKind{}}
}

// removeNode drops n and every edge touching it.
func (g *Graph) removeNode(n *node) {
	for d := range n.deps {
		delete(d.rdeps, n)
	}
	for r := range n.rdeps {
		delete(r.deps, n)
	}
	delete(g.nodes, n.id)
}

// removeCodeEdges drops n's outgoing edges that come from source code.
func removeCodeEdges(n *node) {
	for d, k := range n.deps {
		if !k.layout() {
			delete(n.deps, d)
			delete(d.rdeps, n)
		}
	}
}

// linkAll rebuilds every node and edge from the files and layouts.
func (g *Graph) linkAll() {
	g.nodes = make(map[string]*node, len(g.files)*12)
	g.layoutNodes = nil
	g.modules = make(map[string]string, len(g.files))
	g.pkgs = map[string]bool{}
	g.facts = map[string][]*node{}
	g.cycles = nil
	g.defs = make(map[string]map[string]*node, len(g.files))
	g.subs = map[string]map[string]bool{}
	g.reads = map[string][]string{} // files with an empty footprint have no entry
	g.idx = nil                     // rebuilt below from files and reads, all at once
	paths := make([]string, 0, len(g.files))
	for p := range g.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fi := g.files[p]
		if _, dup := g.modules[fi.Module]; dup {
			continue // two files claim one module: the first (by path) wins
		}
		g.modules[fi.Module] = p
		g.addFileNodes(fi)
	}
	g.indexPackages()
	for _, p := range paths {
		if g.modules[g.files[p].Module] == p {
			g.linkCode(g.files[p])
		}
	}
	g.linkLayouts()
	// Built now, not by the first update that needs it: that update is on
	// the path from a save to its build.
	g.index()
}

func (g *Graph) addFileNodes(fi *FileInfo) {
	m := newNode(moduleID(fi.Module), kindModule)
	m.name, m.path, m.module = fi.Module, fi.Path, fi.Module
	g.nodes[m.id] = m
	defs := make(map[string]*node, len(fi.Defs))
	g.defs[fi.Module] = defs
	for i := range fi.Defs {
		d := &fi.Defs[i]
		id := defID(fi.Module, d.Name)
		if g.nodes[id] != nil {
			g.nodes[id].def = d // redefined later in the file: the last one counts
			continue
		}
		n := newNode(id, kindDef)
		n.name, n.short, n.path, n.module, n.def = fi.Module+"."+d.Name, d.Name, fi.Path, fi.Module, d
		g.nodes[id] = n
		defs[d.Name] = n
		if d.Factory {
			g.facts[d.Name] = append(g.facts[d.Name], n)
		}
	}
}

// linkCode (re)computes the code edges of a file's nodes.
func (g *Graph) linkCode(fi *FileInfo) {
	g.startReading(fi)
	defer g.stopReading(fi.Path)
	mod := g.nodes[moduleID(fi.Module)]
	removeCodeEdges(mod)
	for _, im := range fi.Imports {
		if im.InDef != "" {
			continue
		}
		for _, m := range g.importedModules(fi, im) {
			addEdge(mod, g.nodes[moduleID(m)], edgeImport)
		}
	}
	g.linkRefs(mod, fi, "", fi.TopRefs, true)
	for i := range fi.Defs {
		d := &fi.Defs[i]
		n := g.defs[fi.Module][d.Name]
		if n.def != d {
			continue
		}
		removeCodeEdges(n)
		addEdge(n, mod, edgeInModule)
		for _, im := range fi.Imports {
			if im.InDef == d.Name {
				for _, m := range g.importedModules(fi, im) {
					addEdge(n, g.nodes[moduleID(m)], edgeImport)
				}
			}
		}
		g.linkRefs(n, fi, d.Name, d.Refs, false)
	}
}

// linkRefs adds n's edges for the name chains it uses. Module top-level
// code (top) depends on a def only when it calls it: a registry holding
// the function object does not go stale when the body changes.
func (g *Graph) linkRefs(n *node, fi *FileInfo, scope string, refs []string, top bool) {
	for _, ref := range refs {
		called := strings.HasSuffix(ref, "(")
		r := g.resolveChain(fi, scope, strings.TrimSuffix(ref, "("))
		switch {
		case r.node != nil:
			if top && r.node.kind == kindDef && !called {
				continue
			}
			addEdge(n, r.node, edgeRef)
		case r.module != "":
			g.useModule(n, r.module, top)
		}
	}
}

// useModule adds the edges for a module object used as a whole: its
// top-level code and, from a def, all of its defs.
func (g *Graph) useModule(n *node, mod string, top bool) {
	fi := g.moduleFile(mod)
	if fi == nil {
		return
	}
	addEdge(n, g.nodes[moduleID(mod)], edgeRef)
	if top {
		return
	}
	for _, d := range g.defs[mod] {
		addEdge(n, d, edgeRef)
	}
}

// linkLayouts rebuilds the cell and target nodes and their edges.
func (g *Graph) linkLayouts() {
	for _, n := range g.layoutNodes {
		if g.nodes[n.id] == n {
			g.removeNode(n) // drops the uses-cell edges of factories too
		}
	}
	g.layoutNodes = g.layoutNodes[:0]
	for _, t := range g.allTargets() {
		tn := newNode(targetID(t.Name), kindTarget)
		tn.name = t.Name
		g.nodes[tn.id] = tn
		g.layoutNodes = append(g.layoutNodes, tn)
		for _, e := range t.Entries {
			fi := g.files[g.rel(e)]
			if fi == nil || g.modules[fi.Module] != fi.Path {
				continue
			}
			addEdge(tn, g.nodes[moduleID(fi.Module)], edgeEntry)
			for i := range fi.Defs {
				addEdge(tn, g.nodes[defID(fi.Module, fi.Defs[i].Name)], edgeEntry)
			}
			g.linkRefs(tn, fi, "", fi.MainRefs, false)
		}
		g.linkCells(tn, t.Name, g.layouts[t.Name])
	}
}

// allTargets is the configured targets plus any target a layout was set
// for without being configured.
func (g *Graph) allTargets() []Target {
	out := append([]Target(nil), g.opts.Targets...)
	seen := map[string]bool{}
	for _, t := range out {
		seen[t.Name] = true
	}
	var extra []string
	for name := range g.layouts {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		out = append(out, Target{Name: name})
	}
	return out
}

func (g *Graph) linkCells(tn *node, target string, cells []CellInfo) {
	for _, c := range cells {
		n := newNode(cellID(target, c.Name), kindCell)
		n.name, n.target = c.Name, target
		g.nodes[n.id] = n
		g.layoutNodes = append(g.layoutNodes, n)
		addEdge(tn, n, edgeContains)
	}
	for _, c := range cells {
		n := g.nodes[cellID(target, c.Name)]
		facts := g.factoriesOf(c)
		for _, f := range facts {
			addEdge(n, f, edgeMadeBy)
		}
		for _, child := range c.Children {
			k := g.nodes[cellID(target, child)]
			addEdge(n, k, edgeContains)
			for _, f := range facts {
				addEdge(f, k, edgeUsesCell)
			}
		}
	}
}

// factoriesOf finds the factories that made a cell: the metadata's
// function name when present, else the longest factory name that is the
// cell name or prefixes it followed by "_" (kfactory's naming).
func (g *Graph) factoriesOf(c CellInfo) []*node {
	if c.Factory != "" {
		if fs := g.facts[c.Factory]; len(fs) > 0 {
			return fs
		}
	}
	name := c.Name
	if fs := g.facts[name]; len(fs) > 0 {
		return fs
	}
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '_' {
			if fs := g.facts[name[:i]]; len(fs) > 0 {
				return fs
			}
		}
	}
	return nil
}

// FactoryOf names the factory that made a cell (its bare name), by the
// rule the graph links cells to factories with (see factoriesOf): the
// one rule lywatch has for it. It returns "" when no factory of the
// project matches.
func (g *Graph) FactoryOf(c CellInfo) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if fs := g.factoriesOf(c); len(fs) > 0 {
		return fs[0].short
	}
	return ""
}

// SetLayout records the cells of a target's last good build (names, child
// cell names and the factory metadata) and links them to their factories.
func (g *Graph) SetLayout(target string, cells []CellInfo) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.layouts[target] = append([]CellInfo(nil), cells...)
	g.linkLayouts()
}
