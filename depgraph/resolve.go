package depgraph

import (
	"sort"
	"strings"
)

// resolved is what a name means: a node (a def, or a module's top-level
// code when the name is some other global of that module) or a project
// module object. The zero value is "outside the project or unknown".
type resolved struct {
	node   *node
	module string
}

func (r resolved) ok() bool { return r.node != nil || r.module != "" }

// maxResolveDepth bounds re-export chains (and import cycles).
const maxResolveDepth = 12

func parentModule(m string) string {
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return m[:i]
	}
	return ""
}

// absModule gives the absolute module an import statement in fi names.
func (g *Graph) absModule(fi *FileInfo, im Import) string {
	if im.Level == 0 {
		return im.Module
	}
	pkg := fi.Module
	if !fi.Package {
		pkg = parentModule(pkg)
	}
	for i := 1; i < im.Level; i++ {
		pkg = parentModule(pkg)
	}
	switch {
	case im.Module == "":
		return pkg
	case pkg == "":
		return im.Module
	}
	return pkg + "." + im.Module
}

func (g *Graph) isModule(m string) bool {
	g.consult(m)
	if _, ok := g.modules[m]; ok {
		return true
	}
	return g.pkgs[m]
}

func (g *Graph) moduleFile(m string) *FileInfo {
	g.consult(m)
	if p, ok := g.modules[m]; ok {
		return g.files[p]
	}
	return nil
}

// hasSub reports whether mod.name is a project module or package.
func (g *Graph) hasSub(mod, name string) bool {
	g.consultSub(mod, name)
	return g.subs[mod][name]
}

// importedModules lists the project modules an import statement loads
// (the named module, and for `from m import x` the submodule m.x if any).
func (g *Graph) importedModules(fi *FileInfo, im Import) []string {
	base := g.absModule(fi, im)
	var out []string
	if g.moduleFile(base) != nil {
		out = append(out, base)
	}
	for _, n := range im.Names {
		if n != "*" && g.moduleFile(base+"."+n) != nil {
			out = append(out, base+"."+n)
		}
	}
	return out
}

// lookup resolves a global name of module mod.
func (g *Graph) lookup(mod, name string, depth int) resolved {
	if depth > maxResolveDepth {
		return resolved{}
	}
	if fi := g.moduleFile(mod); fi != nil {
		if n := g.defs[mod][name]; n != nil {
			return resolved{node: n}
		}
		if r, found := g.binding(fi, "", name, depth); found {
			return r
		}
	}
	if g.hasSub(mod, name) {
		return resolved{module: mod + "." + name}
	}
	return resolved{}
}

// member resolves attribute name of project module base: a global of it,
// a submodule, else the module's top-level code (a constant).
func (g *Graph) member(base, name string, depth int) resolved {
	if r := g.lookup(base, name, depth); r.ok() {
		return r
	}
	if g.hasSub(base, name) {
		return resolved{module: base + "." + name}
	}
	if g.moduleFile(base) != nil {
		return resolved{node: g.nodes[moduleID(base)]}
	}
	return resolved{}
}

// binding resolves name through the imports of fi in scope ("" for module
// level, else a top-level def's name). found is true when an import binds
// the name, even to something outside the project.
func (g *Graph) binding(fi *FileInfo, scope, name string, depth int) (resolved, bool) {
	for i := len(fi.Imports) - 1; i >= 0; i-- {
		im := &fi.Imports[i]
		if im.InDef != scope {
			continue
		}
		if !im.From() {
			bound, mod := im.Module, im.Module
			if a := im.Aliases; len(a) > 0 && a[0] != "" {
				bound = a[0]
			} else if j := strings.IndexByte(mod, '.'); j >= 0 {
				bound, mod = mod[:j], mod[:j]
			}
			if bound == name {
				if g.isModule(mod) {
					return resolved{module: mod}, true
				}
				return resolved{}, true
			}
			continue
		}
		for j, n := range im.Names {
			bound := n
			if j < len(im.Aliases) && im.Aliases[j] != "" {
				bound = im.Aliases[j]
			}
			if bound == name && n != "*" {
				base := g.absModule(fi, *im)
				if base == fi.Module && n == name && g.hasSub(base, n) {
					// `from pkg import sub` inside pkg: the submodule
					return resolved{module: base + "." + n}, true
				}
				return g.member(base, n, depth+1), true
			}
		}
	}
	for i := range fi.Imports {
		im := &fi.Imports[i]
		if im.InDef != scope || len(im.Names) != 1 || im.Names[0] != "*" {
			continue
		}
		if r := g.lookup(g.absModule(fi, *im), name, depth+1); r.ok() {
			return r, true
		}
	}
	return resolved{}, false
}

// resolveChain resolves a dotted chain used in fi (in scope: "" or a def).
func (g *Graph) resolveChain(fi *FileInfo, scope, chain string) resolved {
	first, rest, _ := strings.Cut(chain, ".")
	var r resolved
	found := false
	if scope != "" {
		r, found = g.binding(fi, scope, first, 0)
	}
	if !found {
		r = g.lookup(fi.Module, first, 0)
	}
	for rest != "" && r.module != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ".")
		r = g.member(r.module, part, 0)
	}
	return r
}

// External lists the modules a file imports that are not part of the
// project (absolute names, sorted, unique).
func (g *Graph) External(path string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	fi := g.files[g.rel(path)]
	if fi == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, im := range fi.Imports {
		m := g.absModule(fi, im)
		if m == "" || g.isModule(m) || seen[m] {
			continue
		}
		seen[m] = true
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
