package depgraph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Update rescans the given files (absolute or relative to Dir; deleted and
// new files included, non-.py paths ignored) and returns what the edit
// invalidates. Files that no longer scan keep their last good definitions,
// are reported in Errors and invalidate everything in them.
func (g *Graph) Update(ctx context.Context, changed []string) (*Invalidation, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.update(ctx, changed)
}

func (g *Graph) update(ctx context.Context, changed []string) (*Invalidation, error) {
	inv := newInvalidation()
	changed = g.expandDirs(ctx, changed)
	scratch := new(tokenizer)
	next := map[string]*FileInfo{} // nil: deleted
	broken := map[string]bool{}
	for _, p := range changed {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rel := g.rel(p)
		if rel == "" || !strings.HasSuffix(rel, ".py") || g.excludedPath(rel) {
			continue
		}
		old := g.files[rel]
		fi, err := g.scanFile(filepath.Join(g.dir, filepath.FromSlash(rel)), scratch)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if old != nil {
				next[rel] = nil
			}
		case fi == nil:
			fi = &FileInfo{Path: rel, Module: g.moduleName(filepath.Join(g.dir, filepath.FromSlash(rel))), Err: fmt.Sprintf("%s: %v", rel, err)}
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
		case old == nil || old.Hash != fi.Hash || old.Err != "":
			next[rel] = fi
		}
	}
	for rel := range next {
		inv.Files = append(inv.Files, rel)
	}
	sort.Strings(inv.Files)
	if len(next) == 0 {
		inv.finish()
		return inv, nil
	}
	g.apply(inv, next, broken)
	inv.finish()
	return inv, nil
}

// expandDirs replaces a directory among the changed paths (created,
// deleted or moved as a whole) by the .py files known under it and found
// in it now.
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
		prefix := rel + "/"
		if rel == "." {
			prefix = ""
		}
		for known := range g.files {
			if strings.HasPrefix(known, prefix) {
				out = append(out, known)
			}
		}
		abs := filepath.Join(g.dir, filepath.FromSlash(rel))
		if st, err := os.Stat(abs); err == nil && st.IsDir() {
			found, _ := g.walkDir(ctx, abs)
			out = append(out, found...)
		}
	}
	return out
}

func (g *Graph) excludedPath(rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		if g.excluded(p) {
			return true
		}
	}
	return false
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
		inv.nodes[n.id] = &invNode{label: n.label(), kind: kindTarget, names: nodeNames(n),
			reason: fmt.Sprintf("%s has no entry files: every change reaches it (%s)", n.label(), strings.Join(inv.Files, ", "))}
	}
}

// interfaceOf summarises what other files can see of a file: its module,
// definitions and imports. When it is unchanged, only the file's own
// edges need relinking.
func interfaceOf(fi *FileInfo) string {
	var b strings.Builder
	b.WriteString(fi.Module)
	for _, d := range fi.Defs {
		fmt.Fprintf(&b, "|%s %s %t", d.Kind, d.Name, d.Factory)
	}
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
		id := moduleID(fi.Module)
		*into = append(*into, id)
		reasons[id] = fmt.Sprintf("%s: %s", fi.Path, why)
		for _, d := range fi.Defs {
			id := defID(fi.Module, d.Name)
			*into = append(*into, id)
			reasons[id] = fmt.Sprintf("%s: %s", fi.Path, why)
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
	olds := map[string]*Def{}
	for i := range old.Defs {
		olds[old.Defs[i].Name] = &old.Defs[i]
	}
	news := map[string]bool{}
	for i := range nw.Defs {
		d := &nw.Defs[i]
		news[d.Name] = true
		id := defID(nw.Module, d.Name)
		o := olds[d.Name]
		switch {
		case o == nil:
			newSeeds = append(newSeeds, id)
			reasons[id] = fmt.Sprintf("%s: %s %s added (line %d)", nw.Path, d.Kind, d.Name, d.Line)
		case o.Hash != d.Hash:
			oldSeeds = append(oldSeeds, id)
			reasons[id] = fmt.Sprintf("%s: %s %s changed (lines %d-%d)", nw.Path, d.Kind, d.Name, d.Start, d.EndLine)
		}
	}
	for _, d := range old.Defs {
		if !news[d.Name] {
			id := defID(old.Module, d.Name)
			oldSeeds = append(oldSeeds, id)
			reasons[id] = fmt.Sprintf("%s: %s %s removed or renamed (was line %d)", old.Path, d.Kind, d.Name, d.Line)
		}
	}
	return oldSeeds, newSeeds, reasons
}

// relinkFile points a file's nodes at its new scan (same definitions) and
// recomputes their code edges.
func (g *Graph) relinkFile(nw *FileInfo) {
	if g.modules[nw.Module] != nw.Path {
		return
	}
	g.nodes[moduleID(nw.Module)].path = nw.Path
	for i := range nw.Defs {
		if n := g.nodes[defID(nw.Module, nw.Defs[i].Name)]; n != nil {
			n.def = &nw.Defs[i]
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
