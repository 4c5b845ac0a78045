package depgraph

import (
	"slices"
	"sort"
	"strings"
)

// resolved is what a name means: a node (a def, a binding, or a module's
// top-level code when the name is some other global of that module) or a
// project module object. The zero value is "outside the project or
// unknown"; external is set when an import binds the name to a module
// outside the project.
type resolved struct {
	node     *node
	module   string
	external bool
}

func (r resolved) ok() bool { return r.node != nil || r.module != "" }

// maxResolveDepth bounds re-export and alias chains (and import cycles).
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

// lookup resolves a global name of module mod: a def, a binding (an alias
// followed to what it names), a name an import binds, a submodule.
func (g *Graph) lookup(mod, name string, depth int) resolved {
	if depth > maxResolveDepth {
		return resolved{}
	}
	if fi := g.moduleFile(mod); fi != nil {
		if n := g.defs[mod][name]; n != nil {
			return resolved{node: n}
		}
		if n := g.binds[mod][name]; n != nil {
			if n.bind.Alias != "" {
				if r, rest := g.resolveFrom(fi, "", n.bind.Alias, depth+1); r.ok() && rest == "" {
					return r
				}
			}
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
// a submodule, else (found false) the module's top-level code (a constant
// set some other way).
func (g *Graph) member(base, name string, depth int) (r resolved, found bool) {
	if r := g.lookup(base, name, depth); r.ok() {
		return r, true
	}
	if g.hasSub(base, name) {
		return resolved{module: base + "." + name}, true
	}
	if g.moduleFile(base) != nil {
		return resolved{node: g.nodes[moduleID(base)]}, false
	}
	return resolved{}, false
}

// exported reports whether a star import of mod binds name: it is in the
// module's literal __all__, or without one it does not start with "_".
func (g *Graph) exported(mod, name string) bool {
	fi := g.moduleFile(mod)
	if fi == nil || !fi.HasExports {
		return !strings.HasPrefix(name, "_")
	}
	return slices.Contains(fi.Exports, name)
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
				return resolved{external: true}, true
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
				r, _ := g.member(base, n, depth+1)
				if !r.ok() && im.Level == 0 && !g.isModule(base) {
					r.external = true
				}
				return r, true
			}
		}
	}
	for i := range fi.Imports {
		im := &fi.Imports[i]
		if im.InDef != scope || len(im.Names) != 1 || im.Names[0] != "*" {
			continue
		}
		base := g.absModule(fi, *im)
		if !g.exported(base, name) {
			continue
		}
		if r := g.lookup(base, name, depth+1); r.ok() {
			return r, true
		}
	}
	return resolved{}, false
}

// resolveFrom resolves a dotted chain used in fi (in scope: "" or a
// def) as far as it goes through project modules; rest is what is left:
// attributes of what it resolved to, or of something unknown (a local, a
// parameter), "" when the whole chain resolved.
func (g *Graph) resolveFrom(fi *FileInfo, scope, chain string, depth int) (r resolved, rest string) {
	first, rest, _ := strings.Cut(chain, ".")
	found := false
	if scope != "" {
		r, found = g.binding(fi, scope, first, depth)
	}
	if !found {
		r = g.lookup(fi.Module, first, depth)
	}
	for rest != "" && r.module != "" {
		part, tail, _ := strings.Cut(rest, ".")
		var ok bool
		if r, ok = g.member(r.module, part, depth); !ok {
			return r, rest
		}
		rest = tail
	}
	return r, rest
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
