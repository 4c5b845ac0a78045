package depgraph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
)

// Update rescans the given files (absolute or relative to Dir; deleted and
// new files included) and returns what the edit invalidates. .py files are
// scanned; other files count when they are data files (an Include glob
// matches them, or code names them); other paths are ignored. Files that
// no longer scan keep their last good definitions, are reported in Errors
// and invalidate everything in them.
func (g *Graph) Update(ctx context.Context, changed []string) (*Invalidation, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.update(ctx, changed, nil)
}

// update is Update; more (may be nil) runs on the invalidation before the
// sources are rescanned (Refresh's package check).
func (g *Graph) update(ctx context.Context, changed []string, more func(*Invalidation)) (*Invalidation, error) {
	inv := newInvalidation()
	if more != nil {
		more(inv)
	}
	changed = g.expandDirs(ctx, changed)
	var pys []string
	forced := map[string]bool{} // sources to scan again: a data file they may name appeared or went away
	dc := &dataChanges{}
	for _, p := range changed {
		rel := g.rel(p)
		if rel == "" || g.excludedPath(rel) {
			continue
		}
		if strings.HasSuffix(rel, ".py") {
			pys = append(pys, rel)
		} else {
			g.dataChange(rel, dc, forced)
		}
	}
	for rel := range forced {
		pys = append(pys, rel)
	}
	next, broken, err := g.rescan(ctx, pys, forced, inv)
	if err != nil {
		return nil, err
	}
	inv.Files = append(inv.Files, dc.files...)
	for rel := range next {
		if !forced[rel] || !slices.Contains(inv.Files, rel) {
			inv.Files = append(inv.Files, rel)
		}
	}
	inv.Files = slicesCompact(sortedCopy(inv.Files))
	inv.closure(dc.seeds)
	if len(next) > 0 {
		g.apply(inv, next, broken)
	}
	g.finishData(inv, dc)
	if len(dc.seeds) > 0 || len(inv.Packages) > 0 {
		g.reachUnscoped(inv)
	}
	if err := g.hashData(ctx); err != nil {
		return nil, err
	}
	for rel := range next {
		if fi := g.files[rel]; fi != nil && fi.Note != "" {
			inv.Notes = append(inv.Notes, fi.Note)
		}
	}
	inv.finish()
	return inv, nil
}

// rescan scans the given sources and returns the new scans of those that
// changed (nil: deleted), and which of them do not scan.
func (g *Graph) rescan(ctx context.Context, rels []string, forced map[string]bool, inv *Invalidation) (next map[string]*FileInfo, broken map[string]bool, err error) {
	scratch := new(tokenizer)
	next, broken = map[string]*FileInfo{}, map[string]bool{}
	done := map[string]bool{}
	for _, rel := range rels {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if done[rel] {
			continue
		}
		done[rel] = true
		old := g.files[rel]
		abs := g.abs(rel)
		fi, err := g.scanFile(abs, scratch)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if old != nil {
				next[rel] = nil
			}
		case fi == nil:
			fi = &FileInfo{Path: rel, Module: g.moduleName(abs), Err: fmt.Sprintf("%s: %v", rel, err)}
			fallthrough
		case fi.Err != "":
			inv.Errors = append(inv.Errors, fi.Err)
			if old != nil && old.Hash == fi.Hash {
				continue
			}
			broken[rel] = true
			if old != nil {
				keep := *old
				keep.Err, keep.Hash = fi.Err, fi.Hash
				fi = &keep
			}
			next[rel] = fi
		case old == nil || old.Hash != fi.Hash || old.Err != "" || forced[rel] && inputsOf(old) != inputsOf(fi):
			next[rel] = fi
		}
	}
	return next, broken, nil
}

// inputsOf summarises the data files a file's code names.
func inputsOf(fi *FileInfo) string {
	var b strings.Builder
	b.WriteString(strings.Join(fi.TopInputs, ","))
	for _, d := range fi.Defs {
		fmt.Fprintf(&b, "|%s:%s", d.Name, strings.Join(d.Inputs, ","))
		for _, m := range d.Methods {
			fmt.Fprintf(&b, "|%s.%s:%s", d.Name, m.Name, strings.Join(m.Inputs, ","))
		}
	}
	for _, bd := range fi.Bindings {
		fmt.Fprintf(&b, "|=%s:%s", bd.Name, strings.Join(bd.Inputs, ","))
	}
	return b.String()
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// expandDirs replaces a directory among the changed paths (created,
// deleted or moved as a whole) by the .py and data files known under it
// and found in it now.
func (g *Graph) expandDirs(ctx context.Context, changed []string) []string {
	var out []string
	for _, p := range changed {
		if strings.HasSuffix(p, ".py") {
			out = append(out, p)
			continue
		}
		rel := g.rel(p)
		if rel == "" {
			continue
		}
		abs := g.abs(rel)
		st, err := os.Stat(abs)
		if g.data[rel] != nil || err == nil && st.Mode().IsRegular() {
			out = append(out, p) // a data file, or a file that may become one
			continue
		}
		prefix := rel + "/"
		if rel == "." {
			prefix = ""
		}
		for known := range g.files {
			if strings.HasPrefix(known, prefix) {
				out = append(out, known)
			}
		}
		for known := range g.data {
			if strings.HasPrefix(known, prefix) {
				out = append(out, known)
			}
		}
		if err == nil && st.IsDir() {
			py, data, _ := g.walkDir(ctx, abs)
			out = append(out, py...)
			out = append(out, data...)
		}
	}
	return out
}

// excludedPath reports whether the key rel lies in an excluded directory
// or matches (itself or a directory above it) an exclude glob.
func (g *Graph) excludedPath(rel string) bool {
	parts := strings.Split(rel, "/")
	for i, p := range parts[:len(parts)-1] {
		if g.excluded(p) || g.hasGlobs() && g.globExcluded(strings.Join(parts[:i+1], "/")) {
			return true
		}
	}
	return g.globExcluded(rel)
}

// apply swaps in the new file infos, relinks and computes the closure:
// first over the old graph (for what went away or changed), then over the
// new one (for what changed, appeared or now resolves differently).
func (g *Graph) apply(inv *Invalidation, next map[string]*FileInfo, broken map[string]bool) {
	var oldSeeds, newSeeds []string
	reasons := map[string]string{}
	structural := false
	for rel, nw := range next {
		old := g.files[rel]
		if old == nil || nw == nil || interfaceOf(old) != interfaceOf(nw) {
			structural = true
		}
		o, n, r := g.diffFile(old, nw, broken[rel])
		oldSeeds = append(oldSeeds, o...)
		newSeeds = append(newSeeds, n...)
		for k, v := range r {
			reasons[k] = v
		}
	}
	relink := map[string]bool{}
	for rel := range next {
		relink[rel] = true
	}
	if structural {
		relink = g.relinkSet(next)
	}
	before := g.edgeSignatures(relink)
	inv.closure(g.seeds(oldSeeds, reasons))
	olds := map[string]*FileInfo{}
	for rel, nw := range next {
		olds[rel] = g.files[rel]
		g.setFile(rel, nw)
	}
	if structural {
		if !g.relinkIncremental(next, olds, relink) {
			g.linkAll()
		}
	} else {
		for _, nw := range next {
			g.relinkFile(nw)
		}
	}
	inv.closure(g.seeds(newSeeds, reasons))
	// A node not reached yet whose edges changed uses names that now
	// resolve to something else (a new definition shadowing a star import,
	// a removed one falling back to the module).
	var moved []string
	for id, sig := range before {
		n := g.nodes[id]
		if n == nil || inv.nodes[id] != nil {
			continue
		}
		if edgeSignature(n) != sig {
			moved = append(moved, id)
			reasons[id] = fmt.Sprintf("%s: what %s uses resolves differently now", n.path, n.label())
		}
	}
	inv.closure(g.seeds(moved, reasons))
	g.reachUnscoped(inv)
	inv.Cycles = g.cyclesTouching(inv)
}

func (g *Graph) seeds(ids []string, reasons map[string]string) []seed {
	sort.Strings(ids)
	var out []seed
	for _, id := range ids {
		if n := g.nodes[id]; n != nil {
			out = append(out, seed{n, reasons[id]})
		}
	}
	return out
}

// reachUnscoped adds the targets without entry files: every change
// reaches them.
func (g *Graph) reachUnscoped(inv *Invalidation) {
	if len(inv.nodes) == 0 {
		return
	}
	for _, t := range g.opts.Targets {
		n := g.nodes[targetID(t.Name)]
		if len(t.Entries) > 0 || n == nil || inv.nodes[n.id] != nil {
			continue
		}
		inv.nodes[n.id] = newInvNode(n, "", 0, fmt.Sprintf("%s has no entry files: every change reaches it (%s)", n.label(), strings.Join(inv.Files, ", ")))
	}
}

// interfaceOf summarises what other files can see of a file: its module,
// definitions (with their methods), bindings (with what an alias names),
// __all__ and imports. When it is unchanged, only the file's own edges
// need relinking.
func interfaceOf(fi *FileInfo) string {
	var b strings.Builder
	b.WriteString(fi.Module)
	for _, d := range fi.Defs {
		fmt.Fprintf(&b, "|%s %s %t %s", d.Kind, d.Name, d.Factory, d.Maker)
		for _, m := range d.Methods {
			fmt.Fprintf(&b, " .%s", m.Name)
		}
	}
	for _, bd := range fi.Bindings {
		fmt.Fprintf(&b, "|=%s %s", bd.Name, bd.Alias)
	}
	fmt.Fprintf(&b, "|all %t %v", fi.HasExports, fi.Exports)
	for _, im := range fi.Imports {
		fmt.Fprintf(&b, "|%s %d %s %v %v", im.InDef, im.Level, im.Module, im.Names, im.Aliases)
	}
	return b.String()
}

// diffFile compares a file's old and new scans and returns the seeds in
// the old graph, the seeds in the new graph, and their reasons.
func (g *Graph) diffFile(old, nw *FileInfo, broken bool) (oldSeeds, newSeeds []string, reasons map[string]string) {
	reasons = map[string]string{}
	all := func(fi *FileInfo, why string, into *[]string) {
		add := func(id string) {
			*into = append(*into, id)
			reasons[id] = fmt.Sprintf("%s: %s", fi.Path, why)
		}
		add(moduleID(fi.Module))
		for _, d := range fi.Defs {
			add(defID(fi.Module, d.Name))
			for _, m := range d.Methods {
				add(defID(fi.Module, d.Name+"."+m.Name))
			}
		}
		for _, bd := range fi.Bindings {
			add(defID(fi.Module, bd.Name))
		}
	}
	switch {
	case nw == nil:
		all(old, "file deleted", &oldSeeds)
		return
	case old == nil:
		all(nw, "new file", &newSeeds)
		return
	case broken:
		all(old, "does not scan ("+nw.Err+")", &oldSeeds)
		return
	case g.opts.Granularity == GranularityFile || old.Module != nw.Module:
		all(old, "file changed (whole-file granularity)", &oldSeeds)
		all(nw, "file changed (whole-file granularity)", &newSeeds)
		return
	}
	if old.TopHash != nw.TopHash {
		id := moduleID(old.Module)
		oldSeeds = append(oldSeeds, id)
		reasons[id] = fmt.Sprintf("%s: module top-level code changed", old.Path)
	}
	o, n := diffDefs(nw.Path, old.Module, "", old.Defs, nw.Defs, reasons)
	return append(oldSeeds, o...), n, reasons
}

// diffDefs compares two lists of defs (a module's, or a class's methods
// when class is its name) and returns the old and new seeds. Defs sharing
// a name (overloads, redefinitions) are one unit: the node keeps the last,
// and any of them changing changes it.
func diffDefs(path, mod, class string, olds, news []Def, reasons map[string]string) (oldSeeds, newSeeds []string) {
	qual, what := func(name string) string { return name }, func(d *Def) string { return d.Kind + " " + d.Name }
	if class != "" {
		qual = func(name string) string { return class + "." + name }
		what = func(d *Def) string { return "method " + class + "." + d.Name }
	}
	byName := func(defs []Def) (order []string, last map[string]*Def, hash map[string]string) {
		last, hash = map[string]*Def{}, map[string]string{}
		for i := range defs {
			d := &defs[i]
			if last[d.Name] == nil {
				order = append(order, d.Name)
			}
			last[d.Name] = d
			hash[d.Name] += d.Hash + " "
		}
		return order, last, hash
	}
	_, oldDef, oldHash := byName(olds)
	newOrder, newDef, newHash := byName(news)
	oldOrder, _, _ := byName(olds)
	methodsOf := func(d *Def, into *[]string, why string) {
		for _, m := range d.Methods {
			mid := defID(mod, d.Name+"."+m.Name)
			*into = append(*into, mid)
			reasons[mid] = why
		}
	}
	for _, name := range newOrder {
		d, o := newDef[name], oldDef[name]
		id := defID(mod, qual(name))
		switch {
		case o == nil:
			newSeeds = append(newSeeds, id)
			reasons[id] = fmt.Sprintf("%s: %s added (line %d)", path, what(d), d.Line)
			methodsOf(d, &newSeeds, reasons[id])
		case oldHash[name] == newHash[name]:
		case d.Kind == "class" && o.Kind == "class" && o.BodyHash == d.BodyHash && strings.Count(newHash[name], " ") == 1 && strings.Count(oldHash[name], " ") == 1:
			// only methods changed: they alone are invalidated
			os, ns := diffDefs(path, mod, d.Name, o.Methods, d.Methods, reasons)
			oldSeeds, newSeeds = append(oldSeeds, os...), append(newSeeds, ns...)
		default:
			oldSeeds = append(oldSeeds, id)
			reasons[id] = fmt.Sprintf("%s: %s changed (lines %d-%d)", path, what(d), d.Start, d.EndLine)
			// A class body's change reaches its methods (class attributes).
			methodsOf(o, &oldSeeds, reasons[id])
			methodsOf(d, &newSeeds, reasons[id])
		}
	}
	for _, name := range oldOrder {
		if newDef[name] == nil {
			d := oldDef[name]
			id := defID(mod, qual(name))
			oldSeeds = append(oldSeeds, id)
			reasons[id] = fmt.Sprintf("%s: %s removed or renamed (was line %d)", path, what(d), d.Line)
			methodsOf(d, &oldSeeds, reasons[id])
		}
	}
	return oldSeeds, newSeeds
}

// relinkFile points a file's nodes at its new scan (same definitions) and
// recomputes their code edges.
func (g *Graph) relinkFile(nw *FileInfo) {
	if g.modules[nw.Module] != nw.Path {
		return
	}
	g.nodes[moduleID(nw.Module)].path = nw.Path
	for i := range nw.Defs {
		d := &nw.Defs[i]
		n := g.nodes[defID(nw.Module, d.Name)]
		if n == nil {
			continue
		}
		n.def = d
		for j := range d.Methods {
			if m := g.nodes[defID(nw.Module, d.Name+"."+d.Methods[j].Name)]; m != nil {
				m.def = &d.Methods[j]
			}
		}
	}
	for i := range nw.Bindings {
		if n := g.binds[nw.Module][nw.Bindings[i].Name]; n != nil {
			n.bind = &nw.Bindings[i]
		}
	}
	g.linkCode(nw)
	for _, t := range g.opts.Targets {
		for _, e := range t.Entries {
			if g.rel(e) == nw.Path {
				g.linkLayouts()
				return
			}
		}
	}
}

// edgeSignatures records the code edges of the nodes of the given files,
// to find what resolves differently after relinking.
func (g *Graph) edgeSignatures(files map[string]bool) map[string]string {
	out := map[string]string{}
	for rel := range files {
		fi := g.files[rel]
		if fi == nil {
			continue
		}
		for _, n := range g.fileNodes(fi) {
			out[n.id] = edgeSignature(n)
		}
	}
	return out
}

func edgeSignature(n *node) string {
	ids := make([]string, 0, len(n.deps))
	for d, k := range n.deps {
		if !k.layout() {
			ids = append(ids, d.id)
		}
	}
	sort.Strings(ids)
	return strings.Join(ids, "\x00")
}
