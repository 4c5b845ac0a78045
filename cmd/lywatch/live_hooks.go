package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/watcher"
)

// plan is the loop's Plan hook: it turns a change set into the targets to
// build through the dependency graph, keeping targets whose last build did
// not succeed.
func (l *pipeline) plan(ctx context.Context, c *loop.Cycle) (*loop.Plan, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.Initial {
		if l.initial == nil {
			return nil, nil
		}
		p := *l.initial
		p.Targets = l.loopNames(p.Targets)
		return &p, nil
	}
	paths := c.Changes.Paths()
	l.noteChanges(c.Changes)
	if l.graph == nil {
		return nil, nil
	}
	note := ""
	for _, p := range paths {
		if !strings.HasSuffix(p, ".py") || !l.inGraph(p) {
			// Not Python, or outside the scanned tree: the graph cannot
			// say who reads it, so every target is rebuilt.
			for _, t := range l.graph.Targets() {
				l.markPending(t.Name, nil)
			}
			note = "a file the graph does not cover changed"
			break
		}
	}
	update := func() (*depgraph.Invalidation, error) { return l.graph.Update(ctx, paths) }
	if c.Changes.Rescan {
		update = func() (*depgraph.Invalidation, error) { return l.graph.Refresh(ctx) }
	}
	inv, err := update()
	if err != nil {
		return nil, err
	}
	for _, e := range inv.Errors {
		l.logf("%s", e)
	}
	for _, t := range inv.Targets {
		l.markPending(t, inv.Factories)
	}
	targets, factories := l.pendingTargets()
	p := &loop.Plan{Targets: l.loopNames(targets), Env: []string{"LYWATCH_INVALIDATED=" + strings.Join(factories, "\n")}, Invalidated: factories}
	switch {
	case note != "":
		p.Note = note
	case len(inv.Errors) > 0:
		p.Note = plural(len(inv.Errors), "file") + " did not scan"
	case len(inv.Factories) > 0 || len(inv.Cells) > 0:
		p.Note = inv.Summary()
	case !inv.Empty():
		p.Note = "module code changed"
	case len(targets) > 0:
		p.Note = "retrying the last failed build"
	default:
		p.Note = "no code changed"
	}
	return p, nil
}

// inGraph reports whether the graph scans the file at the absolute path p.
func (l *pipeline) inGraph(p string) bool { return within(l.graph.Dir(), p) }

// noteChanges records the change set's files for the next save: the hash
// the watcher read, which is what the build reads, with the stat cache
// marked untrusted (Size -1) so the next start rehashes exactly these
// files. Nothing is read here: the plan is on the path from save to build.
func (l *pipeline) noteChanges(cs watcher.ChangeSet) {
	if l.store == nil {
		return
	}
	for _, ch := range cs.Changes {
		rel, err := session.RelPath(l.root, ch.Path)
		if err != nil || !strings.HasSuffix(rel, ".py") {
			continue
		}
		f := session.File{Path: rel, SHA256: ch.NewHash, Size: -1}
		if ch.Kind == watcher.Deleted {
			f.SHA256 = ""
		}
		l.changes[rel] = f
	}
}

// trackedFiles returns the tracked files with the changes noted since the
// last save applied, sorted by path, and makes that the new table.
func (l *pipeline) trackedFiles() []session.File {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.changes) == 0 {
		return append([]session.File(nil), l.files...)
	}
	out := make([]session.File, 0, len(l.files)+len(l.changes))
	for _, f := range l.files {
		if _, ok := l.changes[f.Path]; !ok {
			out = append(out, f)
		}
	}
	for _, f := range l.changes {
		if f.SHA256 != "" {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	l.files, l.changes = out, map[string]session.File{}
	return append([]session.File(nil), out...)
}

// readHook reads the layout a good build wrote, hashes its cells, gives the
// hierarchy to the graph and counts the cells that changed. A layout that
// does not read fails the hook, so nothing is saved or pushed: the last
// good layout stays in KLayout.
func (l *pipeline) readHook() loop.Hook {
	return loop.Hook{Name: "read", Run: func(ctx context.Context, b *loop.Build) (string, error) {
		name := targetName(b.Target)
		if b.Target.Output == "" {
			l.settle(name, nil, nil)
			return loop.Quiet, nil
		}
		// Hashes, children and metadata are all the loop needs: no shapes.
		lib, err := gds.ReadFileContext(ctx, b.Target.Output, gds.ReadOptions{HashOnly: true})
		if err != nil {
			return "", err
		}
		hashes, err := lib.Hashes()
		if err != nil {
			return "", fmt.Errorf("%s: %w", b.Target.Output, err)
		}
		cells := libraryCells(lib, b.Target.Output)
		b.Values["layout"], b.Values["hashes"], b.Values["cells"] = lib, hashes, cells
		if l.graph != nil {
			l.graph.SetLayout(name, cells)
		}
		l.mu.Lock()
		changed := changedCells(l.prev[name], hashes)
		l.mu.Unlock()
		l.settle(name, hashes, lib.TopCells())
		return fmt.Sprintf("%s, %d changed", plural(len(hashes), "cell"), changed), nil
	}}
}

// settle records a target's good build: it is no longer pending.
func (l *pipeline) settle(target string, hashes map[string]gds.CellHash, tops []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pending, target)
	if hashes != nil {
		l.tops[target] = tops
		prev := make(map[string]string, len(hashes))
		for n, h := range hashes {
			prev[n] = h.Deep
		}
		l.prev[target] = prev
	}
}

// saveHook saves the session after a good build that read: the layout,
// the tracked files, the cells and the graph. Only good builds get here, so
// a failed build saves nothing.
func (l *pipeline) saveHook() loop.Hook {
	return loop.Hook{Name: "save", Run: func(ctx context.Context, b *loop.Build) (string, error) {
		lib, _ := b.Values["layout"].(*gds.Library)
		if lib == nil || b.Target.Output == "" {
			return loop.Quiet, nil
		}
		m, err := l.manifest(lib, b)
		if err != nil {
			return "", err
		}
		if err := l.store.Save(targetName(b.Target), m, b.Target.Output); err != nil {
			return "", err
		}
		if err := l.store.SaveDependencies(l.dependencies()); err != nil {
			return "", err
		}
		return "", nil
	}}
}

// manifest gathers the plain data the session keeps for one target.
func (l *pipeline) manifest(lib *gds.Library, b *loop.Build) (*session.Manifest, error) {
	hashes, _ := b.Values["hashes"].(map[string]gds.CellHash)
	cells, err := session.CellsFromLayout(lib, hashes)
	if err != nil {
		return nil, err
	}
	infos, _ := b.Values["cells"].([]depgraph.CellInfo)
	factory := make(map[string]string, len(infos))
	for _, c := range infos {
		factory[c.Name] = c.Factory
	}
	for i := range cells {
		if f := factory[cells[i].Name]; f != "" {
			cells[i].Factory = f
		}
	}
	m := &session.Manifest{
		Files: l.trackedFiles(),
		Cells: cells,
		Meta:  map[string]string{"command": strings.Join(b.Target.Command, " ")},
	}
	if l.graph != nil {
		if m.Graph, err = json.Marshal(l.graph.Export()); err != nil {
			return nil, err
		}
		m.Functions, m.Factories, m.Edges = graphRecords(l.graph, l.root)
	}
	return m, nil
}

// restoreOutput makes a fresh target's output file the cached layout again
// when it is missing or differs (a build elsewhere, a deleted build folder).
// The session checks the layout against its manifest, and that it reads as
// GDS, before writing anything.
func (l *pipeline) restoreOutput(ctx context.Context, t loop.Target) error {
	name := targetName(t)
	m := l.manifests[name]
	if m == nil {
		return fmt.Errorf("session: %s: no cached layout", name)
	}
	return l.store.RestoreLayout(ctx, name, m, t.Output)
}

// showCached prints one summary line per fresh target and pushes its cached
// layout, before the loop starts.
func (l *pipeline) showCached(ctx context.Context, out io.Writer, push func(context.Context, string) (string, error)) {
	for _, t := range l.fresh {
		start := time.Now()
		parts := []string{"session valid"}
		if t.Output == "" {
			continue
		}
		if err := l.restoreOutput(ctx, t); err != nil {
			fmt.Fprintf(out, "%s → %v\n", parts[0], err)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s from the cache, no build %s", relTo(l.opts.Dir, t.Output), ms(time.Since(start))))
		if push != nil {
			pstart := time.Now()
			note, err := push(ctx, t.Output)
			if err != nil {
				parts = append(parts, "push failed: "+err.Error())
			} else {
				parts = append(parts, fmt.Sprintf("push %s (%s)", ms(time.Since(pstart)), note))
			}
		}
		fmt.Fprintln(out, strings.Join(parts, " → "))
	}
}

func ms(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func relTo(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
