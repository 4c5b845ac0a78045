package depgraph

import (
	"fmt"
	"strings"
)

// relinkSet returns the files whose code edges may change when the files
// in next change what other files can see of them (definitions, imports,
// the files themselves appearing or going away): those files, the files
// with edges into their nodes, the files importing their modules, directly
// or through star imports (which leave no edge to follow), and the files
// whose name resolution consulted them (see consult).
func (g *Graph) relinkSet(next map[string]*FileInfo) map[string]bool {
	relink, touched := g.directlyTouched(next)
	// The files as they will be once next is applied: the index (the
	// files now) for the paths next leaves alone, next's scans for the
	// rest. Only the modules touched are looked up, never every file.
	idx := g.index()
	nextNames, nextStars := map[string][]*FileInfo{}, map[string][]*FileInfo{}
	for _, fi := range next {
		if fi == nil {
			continue
		}
		g.eachImportName(fi, func(m string, star bool) {
			nextNames[m] = append(nextNames[m], fi)
			if star {
				nextStars[m] = append(nextStars[m], fi)
			}
		})
	}
	merged := func(byIndex map[string]struct{}, byNext []*FileInfo, f func(fi *FileInfo)) {
		for p := range byIndex {
			if _, changed := next[p]; !changed {
				f(g.files[p])
			}
		}
		for _, fi := range byNext {
			f(fi)
		}
	}
	// A star import re-exports: its importer's names change with the
	// star-imported module's, so it is touched too, transitively.
	queue := make([]string, 0, len(touched))
	for m := range touched {
		queue = append(queue, m)
	}
	for len(queue) > 0 {
		m := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		merged(idx.stars[m], nextStars[m], func(fi *FileInfo) {
			if !touched[fi.Module] {
				touched[fi.Module] = true
				queue = append(queue, fi.Module)
			}
		})
	}
	for m := range touched {
		merged(idx.names[m], nextNames[m], func(fi *FileInfo) { relink[fi.Path] = true })
		for p := range idx.readers[m] {
			relink[p] = true
		}
	}
	return relink
}

// directlyTouched is the start of relinkSet, before any import is looked
// at: the files to relink (the changed ones, those with edges into their
// nodes, the file of a package gaining or losing a module) and the module
// names touched (the changed modules, and the namespace packages that may
// appear or go away with them).
func (g *Graph) directlyTouched(next map[string]*FileInfo) (relink, touched map[string]bool) {
	relink, touched = map[string]bool{}, map[string]bool{}
	for rel, nw := range next {
		relink[rel] = true
		old := g.files[rel]
		if nw != nil {
			touched[nw.Module] = true
		}
		if old == nil || nw == nil || old.Module != nw.Module {
			// A module appears or goes away: so may the namespace
			// packages above it (isModule, hasSub), and the file of its
			// package may resolve a name to it now (consultSub).
			for _, fi := range []*FileInfo{old, nw} {
				if fi == nil {
					continue
				}
				if p, ok := g.modules[parentModule(fi.Module)]; ok {
					relink[p] = true
				}
				for p := parentModule(fi.Module); p != ""; p = parentModule(p) {
					if _, file := g.modules[p]; !file {
						touched[p] = true
					}
				}
			}
		}
		if old == nil {
			continue
		}
		touched[old.Module] = true
		for _, n := range g.fileNodes(old) {
			for r := range n.rdeps {
				if r.kind == kindModule || r.kind == kindDef {
					relink[r.path] = true
				}
			}
		}
	}
	return relink, touched
}

// fileNodes returns the module, def, method and binding nodes of a file
// that owns its module.
func (g *Graph) fileNodes(fi *FileInfo) []*node {
	if g.modules[fi.Module] != fi.Path {
		return nil
	}
	out := []*node{g.nodes[moduleID(fi.Module)]}
	for _, n := range g.defs[fi.Module] {
		out = append(out, n)
		out = append(out, g.methodNodes(n)...)
	}
	for _, n := range g.binds[fi.Module] {
		out = append(out, n)
	}
	return out
}

// relinkIncremental replaces the nodes of the changed files (old: their
// previous scans, nil for new files) and relinks the files in relink. It
// returns false, changing nothing, when two files claim one module; the
// caller then relinks everything.
func (g *Graph) relinkIncremental(next, old map[string]*FileInfo, relink map[string]bool) bool {
	importsChanged, modulesChanged := false, false
	for rel, nw := range next {
		if nw == nil || old[rel] == nil || importSignature(old[rel]) != importSignature(nw) {
			importsChanged = true
		}
		if nw == nil || old[rel] == nil || old[rel].Module != nw.Module {
			modulesChanged = true
		}
	}
	// How many files now claim each module the change involves.
	idx := g.index()
	claims := map[string]int{}
	for _, set := range []map[string]*FileInfo{next, old} {
		for _, fi := range set {
			if fi != nil {
				claims[fi.Module] = idx.claims[fi.Module]
			}
		}
	}
	for m, n := range claims {
		if n > 1 || (n == 0 && g.modules[m] != "" && next[g.modules[m]] == nil && old[g.modules[m]] == nil) {
			return false
		}
	}
	for rel, fi := range old {
		g.forgetReads(rel)
		if fi == nil || g.modules[fi.Module] != rel {
			continue
		}
		for _, n := range g.fileNodes(fi) {
			if n.factory() {
				g.dropFactory(n)
			}
			g.removeNode(n)
		}
		delete(g.defs, fi.Module)
		delete(g.binds, fi.Module)
		delete(g.modules, fi.Module)
	}
	for rel, fi := range next {
		if fi != nil {
			g.modules[fi.Module] = rel
			g.addFileNodes(fi)
		}
	}
	if modulesChanged {
		g.indexPackages() // derived from the module names alone
	}
	for rel := range relink {
		if fi := g.files[rel]; fi != nil && g.modules[fi.Module] == rel {
			g.linkCode(fi)
		}
	}
	if importsChanged {
		g.cycles = nil
	}
	g.linkLayouts()
	return true
}

// importSignature summarises a file's module-level imports (what the cycles
// depend on).
func importSignature(fi *FileInfo) string {
	var b strings.Builder
	b.WriteString(fi.Module)
	for _, im := range fi.Imports {
		if im.InDef == "" {
			fmt.Fprintf(&b, "|%d %s %v", im.Level, im.Module, im.Names)
		}
	}
	return b.String()
}

func (g *Graph) dropFactory(n *node) {
	fs := g.facts[n.short]
	for i, f := range fs {
		if f == n {
			fs = append(fs[:i:i], fs[i+1:]...)
			break
		}
	}
	if len(fs) == 0 {
		delete(g.facts, n.short)
	} else {
		g.facts[n.short] = fs
	}
}

// indexPackages rebuilds the package prefixes and submodule names from
// the modules.
func (g *Graph) indexPackages() {
	g.pkgs = map[string]bool{}
	g.subs = map[string]map[string]bool{}
	for mod := range g.modules {
		for m := mod; strings.Contains(m, "."); m = parentModule(m) {
			parent := parentModule(m)
			g.pkgs[parent] = true
			if g.subs[parent] == nil {
				g.subs[parent] = map[string]bool{}
			}
			g.subs[parent][m[len(parent)+1:]] = true
		}
	}
}
