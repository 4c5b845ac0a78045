package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/session"
)

// restore loads each target's manifest and checks the files it tracks
// with one stat each, in build order. A target whose files are all
// unchanged, with no new source beside them, is fresh: its cached layout
// is shown without a build, and its saved graph is only loaded afterwards
// (loadGraph). Any other target's saved graph is caught up with the
// changes, and the target is built at start-up unless none of them
// reaches it. A target that places the layout of a stale one is stale too.
func (p *Pipeline) restore(ctx context.Context) {
	current, err := depgraph.SourceFiles(ctx, p.gopts)
	var rel []string
	if err == nil {
		rel, err = trackPaths(p.proj.Root, current)
	}
	if err != nil {
		p.logf("session: %v; rebuilding", err)
		return
	}
	for _, k := range p.keys() {
		m, err := p.store.Load(k)
		if err != nil {
			p.logf("%v; rebuilding %s", err, k) // the warning says "session: ..." itself
			continue
		}
		if m != nil {
			p.manifests[k] = m
			p.layouts[k] = layoutStateOf(m.Cells)
		}
	}
	if len(p.manifests) == 0 {
		return // no session: the start-up build builds everything as usual
	}
	p.gopts.SitePackages = p.sitePackages(ctx)
	order := p.order(p.keys())
	deps := p.dependencies()
	var stale, fresh []string
	var why string // the first build key that differs
	files := map[string]bool{}
	for _, k := range order {
		t, _ := p.proj.Target(k)
		if d := recordedKey(p.manifests[k]).differs(p.key(ctx, t)); d != "" && p.manifests[k] != nil {
			p.logf("session: %s: %s; rebuilding", k, d)
			p.markPending(k, nil)
			stale = append(stale, k)
			if why == "" {
				why = d
			}
			continue
		}
		ok, changed := p.restoreTarget(ctx, k, rel)
		for _, f := range changed {
			files[f] = true
		}
		for _, u := range deps[k] {
			if ok && slices.Contains(stale, u) {
				p.logf("session: %s uses the layout of %s, which changed; rebuilding it too", k, u)
				ok = false
				p.markPending(k, nil)
			}
		}
		if ok {
			fresh = append(fresh, k)
			p.fresh[k] = true
			p.settled[k], p.saved[k] = 1, 1 // the session holds its last good layout
			continue
		}
		stale = append(stale, k)
	}
	plan := &loop.Plan{Targets: p.loopNames(stale), Cached: p.loopNames(fresh)}
	switch {
	case len(stale) == 0:
		plan.Note = "session valid"
	case len(files) > 0:
		plan.Note = plural(len(files), "file") + " changed since the session"
	case why != "":
		plan.Note = why
	}
	p.initial = plan
}

// restoreTarget checks one target's session against the disk: fresh when
// its cached layout is current; changed lists the root-relative files that
// differ. A stale target is marked pending with the factories the changes
// invalidate.
func (p *Pipeline) restoreTarget(ctx context.Context, name string, current []string) (fresh bool, changed []string) {
	p.markPending(name, nil) // until shown to be fresh
	m := p.manifests[name]
	if m == nil || m.GraphFile.File == "" {
		return false, nil
	}
	if _, err := os.Stat(p.store.LayoutPath(name)); err != nil {
		p.logf("session: %s has no cached layout; rebuilding", name)
		return false, nil
	}
	v, err := session.Validate(ctx, p.proj.Root, m)
	if err != nil {
		p.logf("session: %s: %v; rebuilding", name, err)
		return false, nil
	}
	if v.Untracked {
		return false, nil
	}
	added := m.NewFiles(current)
	changed = append(v.ChangedRel(), added...)
	changed = append(changed, p.baselineChanges(m, changed)...)
	if len(changed) == 0 {
		delete(p.pending, name)
		if p.files == nil {
			p.files = v.Files
		}
		return true, nil
	}
	g, err := p.savedGraph(name, m)
	if err != nil {
		p.logf("%v; rebuilding %s", err, name)
		return false, changed
	}
	abs := make([]string, len(changed))
	for i, f := range changed {
		abs[i] = filepath.Join(p.proj.Root, filepath.FromSlash(f))
	}
	inv, err := g.Update(ctx, abs)
	if err != nil {
		p.logf("session: %s: %v; rebuilding", name, err)
		return false, changed
	}
	if p.graph == nil {
		p.graph = g
		files, err := session.RefreshFiles(ctx, p.proj.Root, v.Files, added)
		if err != nil {
			p.logf("session: %v", err)
			files = v.Files
		}
		p.files = files
	}
	if !slices.Contains(inv.Targets, name) {
		delete(p.pending, name)
		return true, changed
	}
	p.markPending(name, inv.Factories)
	return false, changed
}

// baselineChanges returns the tracked files whose content in the
// watcher's first scan differs from the manifest's, beyond those already
// known to have changed.
func (p *Pipeline) baselineChanges(m *session.Manifest, known []string) []string {
	var out []string
	for _, f := range m.Files {
		h, ok := p.base[filepath.Join(p.proj.Root, filepath.FromSlash(f.Path))]
		if ok && h != f.SHA256 && !slices.Contains(known, f.Path) {
			out = append(out, f.Path)
		}
	}
	return out
}

// savedGraph rebuilds the graph saved with a target's manifest.
func (p *Pipeline) savedGraph(name string, m *session.Manifest) (*depgraph.Graph, error) {
	snap, err := savedSnapshot(p.store, name, m)
	if err != nil {
		return nil, err
	}
	return depgraph.FromSnapshot(snap, p.gopts)
}

// savedSnapshot reads the graph snapshot saved with a manifest.
func savedSnapshot(st Store, name string, m *session.Manifest) (*depgraph.Snapshot, error) {
	raw, err := st.LoadGraph(name, m)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("session: %s: no saved graph", name)
	}
	var snap depgraph.Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		return nil, fmt.Errorf("session: %s: graph: %w", name, err)
	}
	return &snap, nil
}

// LoadGraph gives the pipeline its live graph: the graph restored for a
// stale target, else the graph saved with a fresh one (nothing changed
// since), else a scan of the sources. It runs once; later calls wait for
// it. The plan and the read stage call it; the CLI starts it in the
// background after Open, so the first edit finds it ready while the
// cached layouts are shown without waiting for it.
func (p *Pipeline) LoadGraph(ctx context.Context) {
	p.graphOnce.Do(func() {
		p.mu.Lock()
		have := p.graph != nil
		var fresh []string
		for _, k := range p.keys() {
			if p.fresh[k] && p.manifests[k] != nil {
				fresh = append(fresh, k)
			}
		}
		if have {
			p.watchInputs() // the graph restored for a stale target
		}
		p.mu.Unlock()
		if have {
			return
		}
		if p.gopts.SitePackages == nil {
			p.gopts.SitePackages = p.sitePackages(ctx)
		}
		for _, k := range fresh {
			g, err := p.savedGraph(k, p.manifests[k])
			if err == nil {
				p.mu.Lock()
				p.graph = g
				p.watchInputs()
				p.mu.Unlock()
				return
			}
			p.logf("%v; scanning the sources", err)
		}
		g, files, err := p.scan(ctx)
		if err != nil {
			p.logf("dependency graph: %v; every change rebuilds every target", err)
			return
		}
		p.mu.Lock()
		p.graph, p.files = g, files
		p.watchInputs()
		p.mu.Unlock()
	})
}

// scan builds the graph from the sources and hashes every tracked file.
func (p *Pipeline) scan(ctx context.Context) (*depgraph.Graph, []session.File, error) {
	g, err := depgraph.Scan(ctx, p.gopts)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range append(g.Errors(), g.Notes()...) {
		p.logf("%s", e)
	}
	paths, err := g.SourceFiles(ctx)
	if err != nil {
		return nil, nil, err
	}
	rel, err := trackPaths(p.proj.Root, paths)
	if err != nil {
		return nil, nil, err
	}
	files, err := session.HashFiles(ctx, p.proj.Root, rel)
	if err != nil {
		return nil, nil, err
	}
	return g, files, nil
}

// layoutStateOf is what the pipeline keeps of a saved layout's cells.
func layoutStateOf(cells []session.Cell) layoutState {
	l := layoutState{deep: make(map[string]string, len(cells)), local: make(map[string]string, len(cells)), tops: topCells(cells)}
	for _, c := range cells {
		l.deep[c.Name], l.local[c.Name] = c.Deep, c.Local
	}
	return l
}

// topCells returns the cells no other cell of the list uses.
func topCells(cells []session.Cell) []string {
	used := map[string]bool{}
	for _, c := range cells {
		for _, ch := range c.Children {
			used[ch] = true
		}
	}
	var tops []string
	for _, c := range cells {
		if !used[c.Name] {
			tops = append(tops, c.Name)
		}
	}
	return tops
}
