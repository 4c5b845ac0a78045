package depgraph

import (
	"fmt"
	"strings"
)

// relinkSet returns the files whose code edges may change when the files
// in next change what other files can see of them (definitions, imports,
// the files themselves appearing or going away): those files, the files
// with edges into their nodes, and the files importing their modules,
// directly or through star imports (which leave no edge to follow).
func (g *Graph) relinkSet(next map[string]*FileInfo) map[string]bool {
	relink := map[string]bool{}
	touched := map[string]bool{} // module names
	for rel, nw := range next {
		relink[rel] = true
		if nw != nil {
			touched[nw.Module] = true
		}
		old := g.files[rel]
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
	files := g.mergedFiles(next)
	for grew := true; grew; {
		grew = false
		for _, fi := range files {
			if touched[fi.Module] {
				continue
			}
			for _, im := range fi.Imports {
				if len(im.Names) == 1 && im.Names[0] == "*" && touched[g.absModule(fi, im)] {
					touched[fi.Module], grew = true, true
					break
				}
			}
		}
	}
	for _, fi := range files {
		if !relink[fi.Path] && g.importsAny(fi, touched) {
			relink[fi.Path] = true
		}
	}
	return relink
}

// mergedFiles is every file as it will be once next is applied.
func (g *Graph) mergedFiles(next map[string]*FileInfo) []*FileInfo {
	out := make([]*FileInfo, 0, len(g.files)+len(next))
	for rel, fi := range g.files {
		if _, ok := next[rel]; !ok {
			out = append(out, fi)
		}
	}
	for _, fi := range next {
		if fi != nil {
			out = append(out, fi)
		}
	}
	return out
}

// importsAny reports whether an import of fi names one of the modules
// (`import a.b.c` names a, a.b and a.b.c; `from m import x` names m and
// m.x).
func (g *Graph) importsAny(fi *FileInfo, mods map[string]bool) bool {
	for _, im := range fi.Imports {
		m := g.absModule(fi, im)
		if mods[m] {
			return true
		}
		if !im.From() {
			for p := m; p != ""; p = parentModule(p) {
				if mods[p] {
					return true
				}
			}
			continue
		}
		for _, n := range im.Names {
			if mods[m+"."+n] {
				return true
			}
		}
	}
	return false
}

// fileNodes returns the module and def nodes of a file that owns its
// module.
func (g *Graph) fileNodes(fi *FileInfo) []*node {
	if g.modules[fi.Module] != fi.Path {
		return nil
	}
	out := []*node{g.nodes[moduleID(fi.Module)]}
	for _, n := range g.defs[fi.Module] {
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
	claims := map[string]int{}
	for _, fi := range next {
		if fi != nil {
			claims[fi.Module] = 0
		}
	}
	for _, fi := range old {
		if fi != nil {
			claims[fi.Module] = 0
		}
	}
	for _, fi := range g.files {
		if _, ok := claims[fi.Module]; ok {
			claims[fi.Module]++
		}
	}
	for m, n := range claims {
		if n > 1 || (n == 0 && g.modules[m] != "" && next[g.modules[m]] == nil && old[g.modules[m]] == nil) {
			return false
		}
	}
	for rel, fi := range old {
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
