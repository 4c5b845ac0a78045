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
		g.dropOrphan(d)
	}
	for r := range n.rdeps {
		delete(r.deps, n)
	}
	g.dropUses(n)
	g.dropTarget(n)
	delete(g.nodes, n.id)
}

// removeCodeEdges drops n's outgoing edges that come from source code.
func (g *Graph) removeCodeEdges(n *node) {
	for d, k := range n.deps {
		if !k.layout() {
			delete(n.deps, d)
			delete(d.rdeps, n)
			g.dropOrphan(d)
		}
	}
	g.dropUses(n)
}

// dropOrphan removes a data file or package node nothing uses any more,
// unless an include glob keeps the file.
func (g *Graph) dropOrphan(n *node) {
	if len(n.rdeps) > 0 || g.nodes[n.id] != n {
		return
	}
	switch {
	case n.kind == kindPackage:
		delete(g.nodes, n.id)
	case n.kind == kindFile && (g.data[n.name] == nil || !g.data[n.name].included):
		g.removeNode(n)
		delete(g.data, n.name)
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
	g.binds = make(map[string]map[string]*node, len(g.files))
	g.subs = map[string]map[string]bool{}
	g.names.reset()
	g.reads = map[string][]string{} // files with an empty footprint have no entry
	g.idx = nil                     // rebuilt below from files and reads, all at once
	paths := make([]string, 0, len(g.files))
	for p := range g.files {
		paths = append(paths, p)
	}
	sortKeys(paths)
	for _, p := range paths {
		fi := g.files[p]
		if _, dup := g.modules[fi.Module]; dup {
			continue // two files claim one module: the first (by path, the project's before editable installs') wins
		}
		g.modules[fi.Module] = p
		g.addFileNodes(fi)
	}
	for key, d := range g.data {
		if d.included {
			g.fileNode(key)
		}
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

// sortKeys sorts file keys: the project's (relative) paths first, then
// those of editable installs (absolute), each by path.
func sortKeys(paths []string) {
	sort.Slice(paths, func(i, j int) bool {
		ai, aj := strings.HasPrefix(paths[i], "/"), strings.HasPrefix(paths[j], "/")
		if ai != aj {
			return aj
		}
		return paths[i] < paths[j]
	})
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
		if n := g.nodes[id]; n != nil {
			g.redefine(n, d) // redefined later in the file: the last one counts
			continue
		}
		n := newNode(id, kindDef)
		n.name, n.short, n.path, n.module, n.def = fi.Module+"."+d.Name, d.Name, fi.Path, fi.Module, d
		g.nodes[id] = n
		defs[d.Name] = n
		if d.Factory {
			g.facts[d.Name] = append(g.facts[d.Name], n)
		}
		g.addTarget(n)
		g.addMethods(fi, d)
	}
	var binds map[string]*node
	for i := range fi.Bindings {
		b := &fi.Bindings[i]
		if defs[b.Name] != nil {
			continue // `f = cell(f)`: its uses join the def's
		}
		n := newNode(defID(fi.Module, b.Name), kindBinding)
		n.name, n.short, n.path, n.module, n.bind = fi.Module+"."+b.Name, b.Name, fi.Path, fi.Module, b
		g.nodes[n.id] = n
		if binds == nil {
			binds = map[string]*node{}
			g.binds[fi.Module] = binds
		}
		binds[b.Name] = n
		g.addTarget(n)
	}
}

// redefine points a def node at the later of two definitions of one name,
// keeping the factory index and the methods in step.
func (g *Graph) redefine(n *node, d *Def) {
	fi := g.files[n.path]
	if n.factory() {
		g.dropFactory(n)
	}
	for _, m := range g.methodNodes(n) {
		g.removeNode(m)
	}
	n.def = d
	if d.Factory {
		g.facts[d.Name] = append(g.facts[d.Name], n)
	}
	g.addMethods(fi, d)
}

func (g *Graph) addMethods(fi *FileInfo, d *Def) {
	for j := range d.Methods {
		m := &d.Methods[j]
		id := defID(fi.Module, d.Name+"."+m.Name)
		if n := g.nodes[id]; n != nil {
			n.def = m // an overload or a redefinition: the last one counts
			continue
		}
		n := newNode(id, kindMethod)
		n.name, n.short, n.path, n.module, n.def = fi.Module+"."+d.Name+"."+m.Name, d.Name+"."+m.Name, fi.Path, fi.Module, m
		g.nodes[id] = n
		g.addTarget(n)
	}
}

// methodNodes returns the method nodes of a class node.
func (g *Graph) methodNodes(n *node) []*node {
	if n.def == nil || n.def.Kind != "class" {
		return nil
	}
	var out []*node
	for _, m := range n.def.Methods {
		if mn := g.nodes[defID(n.module, n.short+"."+m.Name)]; mn != nil {
			out = append(out, mn)
		}
	}
	return out
}

// linkCode (re)computes the code edges of a file's nodes.
func (g *Graph) linkCode(fi *FileInfo) {
	g.startReading(fi)
	defer g.stopReading(fi.Path)
	mod := g.nodes[moduleID(fi.Module)]
	g.removeCodeEdges(mod)
	for _, im := range fi.Imports {
		if im.InDef == "" {
			g.linkImport(mod, fi, im)
		}
	}
	g.linkRefs(mod, fi, "", fi.TopRefs, true)
	g.linkInputs(mod, fi.TopInputs)
	for i := range fi.Defs {
		d := &fi.Defs[i]
		n := g.defs[fi.Module][d.Name]
		if n.def != d {
			continue
		}
		g.removeCodeEdges(n)
		addEdge(n, mod, edgeInModule)
		methods := g.methodNodes(n)
		for _, im := range fi.Imports {
			if im.InDef == d.Name {
				g.linkImport(importer(n, methods, im.Line), fi, im)
			}
		}
		g.linkRefs(n, fi, d.Name, d.Refs, false)
		g.linkInputs(n, d.Inputs)
		for _, m := range methods {
			g.removeCodeEdges(m)
			addEdge(m, mod, edgeInModule)
			g.linkRefs(m, fi, d.Name, m.def.Refs, false)
			g.linkInputs(m, m.def.Inputs)
			if strings.HasPrefix(m.def.Name, "__") && strings.HasSuffix(m.def.Name, "__") {
				// Using the class runs these implicitly (construction,
				// operators, conversions): they count as the class.
				addEdge(n, m, edgeRef)
			}
		}
	}
	for i := range fi.Bindings {
		b := &fi.Bindings[i]
		n := g.binds[fi.Module][b.Name]
		if n == nil {
			if d := g.defs[fi.Module][b.Name]; d != nil {
				g.linkRefs(d, fi, "", b.Refs, false) // `f = cell(f)`
				g.linkInputs(d, b.Inputs)
			}
			continue
		}
		n.bind = b
		g.removeCodeEdges(n)
		addEdge(n, mod, edgeInModule)
		g.linkBinding(n, fi, b)
	}
}

// importer returns the node an import statement inside a class belongs
// to: the method whose lines hold it, else the class.
func importer(class *node, methods []*node, line int) *node {
	for _, m := range methods {
		if line >= m.def.Start && line <= m.def.EndLine {
			return m
		}
	}
	return class
}

// linkImport adds n's edges for one import statement: the project modules
// it loads, or the installed package it comes from.
func (g *Graph) linkImport(n *node, fi *FileInfo, im Import) {
	mods := g.importedModules(fi, im)
	for _, m := range mods {
		addEdge(n, g.nodes[moduleID(m)], edgeImport)
	}
	if len(mods) == 0 && im.Level == 0 {
		top, _, _ := strings.Cut(im.Module, ".")
		if top != "" && !g.isModule(top) {
			addEdge(n, g.packageNode(top), edgeImport)
		}
	}
}

// linkBinding adds a binding's edges: what its right-hand sides use, or
// for an alias what the alias resolves to (a module alias stands for the
// module's top-level code, not for everything in it).
func (g *Graph) linkBinding(n *node, fi *FileInfo, b *Binding) {
	g.linkInputs(n, b.Inputs)
	if b.Alias == "" {
		g.linkRefs(n, fi, "", b.Refs, false)
		return
	}
	r, rest := g.resolveFrom(fi, "", b.Alias, 1)
	switch {
	case r.node != nil:
		addEdge(n, r.node, edgeRef)
	case r.module != "":
		addEdge(n, g.nodes[moduleID(r.module)], edgeRef)
	}
	if rest != "" && !r.external {
		g.useAttrs(n, rest, false)
	}
}

// linkRefs adds n's edges for the references it makes (see Def.Refs).
// Module top-level code (top) depends on a def, a method or the uses of a
// binding only when it calls it: a registry holding the function does not
// go stale when the body changes (the code calling it from the registry
// depends on it through the registry's binding).
func (g *Graph) linkRefs(n *node, fi *FileInfo, scope string, refs []string, top bool) {
	for _, ref := range refs {
		switch ref[0] {
		case '\'':
			if !top {
				g.linkString(n, ref[1:])
			}
			continue
		case '.':
			g.useAttrs(n, ref[1:], top)
			continue
		}
		called := strings.HasSuffix(ref, "(")
		r, rest := g.resolveFrom(fi, scope, strings.TrimSuffix(ref, "("), 0)
		switch {
		case r.node != nil:
			to := r.node
			if top && (!called || rest != "") { // a value, or a method of it called
				if to.kind == kindDef || to.kind == kindMethod {
					continue
				}
				if to.kind == kindBinding {
					to = g.nodes[moduleID(to.module)] // its value, not what it holds
				}
			}
			addEdge(n, to, edgeRef)
		case r.module != "":
			g.useModule(n, r.module, top)
		}
		if rest != "" && !r.external {
			if called {
				rest += "("
			}
			g.useAttrs(n, rest, top)
		}
	}
}

// linkString links a string literal that names something: a project
// module ("pkg.mod", used as a whole), or by the name index the defs,
// classes and bindings called so.
func (g *Graph) linkString(n *node, s string) {
	if first, _, dotted := strings.Cut(s, "."); dotted {
		if g.isModule(first) && g.isModule(s) {
			g.useModule(n, s, false)
		}
		return
	}
	g.use(n, "'"+s)
}

// useModule adds the edges for a module object used as a whole: its
// top-level code and, from a def, every name it binds: its defs and
// bindings, and what it imports by name or by star import, transitively.
func (g *Graph) useModule(n *node, mod string, top bool) {
	fi := g.moduleFile(mod)
	if fi == nil {
		return
	}
	addEdge(n, g.nodes[moduleID(mod)], edgeRef)
	if top {
		return
	}
	g.useExports(n, mod, map[string]bool{}, 0)
}

func (g *Graph) useExports(n *node, mod string, seen map[string]bool, depth int) {
	fi := g.moduleFile(mod)
	if fi == nil || seen[mod] || depth > maxResolveDepth {
		return
	}
	seen[mod] = true
	addEdge(n, g.nodes[moduleID(mod)], edgeRef)
	for _, d := range g.defs[mod] {
		addEdge(n, d, edgeRef)
	}
	for _, b := range g.binds[mod] {
		addEdge(n, b, edgeRef)
	}
	for _, im := range fi.Imports {
		if im.InDef != "" || !im.From() {
			continue
		}
		base := g.absModule(fi, im)
		for _, name := range im.Names {
			if name == "*" {
				g.useExports(n, base, seen, depth+1)
				continue
			}
			if r, _ := g.member(base, name, depth+1); r.node != nil {
				addEdge(n, r.node, edgeRef)
			}
		}
	}
}

// linkInputs adds n's edges to the data files it names.
func (g *Graph) linkInputs(n *node, inputs []string) {
	for _, p := range inputs {
		addEdge(n, g.fileNode(p), edgeReads)
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
