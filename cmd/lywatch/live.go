package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/session"
)

// pipeline joins the dependency graph, the layout reader and the session to the
// loop's hooks. It holds what the hooks share between cycles; each piece of
// logic stays in its package.
type pipeline struct {
	root  string          // project root: session paths are relative to it
	dir   string          // session directory ("" with --no-session)
	graph *depgraph.Graph // nil when the sources could not be scanned
	store *session.Store  // nil with --no-session
	logf  func(string, ...any)

	mu      sync.Mutex
	files   []session.File          // tracked sources, as of the last save
	changes map[string]session.File // changed since then, by path ("" hash: deleted)
	// pending holds, per target, the factories invalidated since the
	// target's last good build. A target stays here until a build of it
	// succeeds, so a failed or restarted build loses no invalidation (the
	// graph has absorbed the edit already and would not report it again).
	pending   map[string]map[string]bool
	prev      map[string]map[string]string // target -> cell -> deep hash of the last good layout
	tops      map[string][]string          // target -> top cells of the last good layout
	opts      depgraph.Options
	manifests map[string]*session.Manifest // loaded at start, by target
	unnamed   bool                         // the loop's single target has no name
	initial   *loop.Plan                   // the start-up cycle's plan; nil builds everything
	fresh     []loop.Target                // targets whose cached layout is current
}

// sessionLocation resolves the session directory and project root the same
// way for the live loop and 'lywatch session': a --session-dir flag, then
// $LYWATCH_SESSION_DIR, then the configuration, then build/session under
// the git root above base.
func sessionLocation(base, flagDir, configDir string) (dir, root string) {
	dir, _ = session.ResolveDir(flagDir, os.Getenv(session.EnvDir), configDir, base)
	return dir, session.FindRoot(base)
}

// targetName is the name the session and the graph know a target by.
func targetName(t loop.Target) string {
	if t.Name == "" {
		return session.DefaultTarget
	}
	return t.Name
}

// loopNames turns session/graph target names back into the loop's names
// (the one unnamed target is "default" to the session and graph).
func (l *pipeline) loopNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n == session.DefaultTarget && l.unnamed {
			n = ""
		}
		out = append(out, n)
	}
	return out
}

// newLive opens the session (taking its lock), restores or scans the
// dependency graph and decides which targets the cached layouts still
// serve. An error means lywatch must not start (the session is locked).
func newLive(ctx context.Context, cfg *config.Config, targets []loop.Target, logf func(string, ...any)) (*pipeline, error) {
	l := &pipeline{logf: logf, pending: map[string]map[string]bool{}, prev: map[string]map[string]string{}, tops: map[string][]string{},
		manifests: map[string]*session.Manifest{}, changes: map[string]session.File{}}
	l.unnamed = len(targets) == 1 && targets[0].Name == ""
	for _, t := range targets {
		l.markPending(targetName(t), nil) // until a good build, or a fresh cache, says otherwise
	}
	flagDir, configDir := "", cfg.SessionDir
	if cfg.SessionDirFromFlag {
		flagDir, configDir = cfg.SessionDir, ""
	}
	dir, root := sessionLocation(sourceDir(cfg), flagDir, configDir)
	l.root = root
	if !cfg.NoSession {
		st, err := session.Open(dir, session.Options{Root: root})
		if err != nil {
			return nil, err
		}
		l.store, l.dir = st, dir // Open keeps the session out of git itself
	}
	opts, err := graphOptions(cfg, targets)
	if err != nil {
		l.close()
		return nil, err
	}
	l.opts = opts
	if l.store != nil {
		l.restore(ctx, opts, targets)
	}
	return l, nil
}

func (l *pipeline) close() {
	if l.store != nil {
		l.store.Close()
	}
}

// sourceDir is the directory whose Python sources the graph scans and the
// session tracks: the project directory when every watched root is inside
// it, else the watched roots' deepest common directory (lywatch run from a
// build folder with --watch ../pdk follows ../pdk).
func sourceDir(cfg *config.Config) string {
	common := ""
	for _, w := range cfg.Watch {
		w, err := filepath.Abs(w)
		if err != nil {
			return cfg.Dir
		}
		if common == "" {
			common = w
		}
		for !within(common, w) {
			common = filepath.Dir(common)
		}
	}
	if common == "" || within(cfg.Dir, common) {
		return cfg.Dir
	}
	return common
}

// within reports whether the path p is dir or below it.
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

// graphOptions maps the configuration onto the dependency graph's options.
func graphOptions(cfg *config.Config, targets []loop.Target) (depgraph.Options, error) {
	gran, err := depgraph.ParseGranularity(cfg.Granularity)
	if err != nil {
		return depgraph.Options{}, err
	}
	o := depgraph.Options{Dir: sourceDir(cfg), Roots: cfg.PythonRoots, Decorators: cfg.Decorators, Granularity: gran}
	for _, t := range targets {
		o.Targets = append(o.Targets, depgraph.Target{
			Name: targetName(t), Command: strings.Join(t.Command, " "), Output: t.Output, Entries: t.Entry,
		})
	}
	return o, nil
}

// scan builds the graph from the sources and hashes every tracked file.
func (l *pipeline) scan(ctx context.Context, opts depgraph.Options) error {
	g, err := depgraph.Scan(ctx, opts)
	if err != nil {
		return err
	}
	for _, e := range g.Errors() {
		l.logf("%s", e)
	}
	l.graph = g
	paths, err := g.SourceFiles(ctx)
	if err != nil {
		return err
	}
	rel, err := session.RelPaths(l.root, paths)
	if err != nil {
		return err
	}
	l.files, err = session.HashFiles(ctx, l.root, rel)
	return err
}

// restore loads each target's manifest and checks the files it tracks
// with one stat each. A target whose files are all unchanged, with no new
// source beside them, is fresh: its cached layout is pushed without a build,
// and its saved graph is only loaded afterwards (loadGraph). Any other
// target's saved graph is caught up with the changes, and the target is
// built at start-up unless none of them reaches it. Anything unreadable is
// one warning line and a rebuild, never a stale push.
func (l *pipeline) restore(ctx context.Context, opts depgraph.Options, targets []loop.Target) {
	current, err := depgraph.SourceFiles(ctx, opts)
	var rel []string
	if err == nil {
		rel, err = session.RelPaths(l.root, current)
	}
	if err != nil {
		l.logf("session: %v; rebuilding", err)
		return
	}
	deps := l.targetOrder(targets)
	stale := []string{}
	isStale := map[string]bool{}
	restored, files := 0, map[string]bool{}
	for _, t := range deps.order {
		name := targetName(t)
		fresh, changed, ok := l.restoreTarget(ctx, opts, name, rel)
		if ok {
			restored++
			for _, f := range changed {
				files[f] = true
			}
		}
		for _, u := range deps.uses[name] {
			if fresh && isStale[u] {
				// Its layout holds the other target's, which is rebuilt.
				l.logf("session: %s uses the layout of %s, which changed; rebuilding it too", name, u)
				fresh = false
				l.markPending(name, nil)
			}
		}
		if fresh {
			l.fresh = append(l.fresh, t)
			continue
		}
		isStale[name] = true
		stale = append(stale, name)
	}
	if restored == 0 {
		return // no session: the start-up build builds everything as usual
	}
	l.initial = &loop.Plan{Targets: stale, Note: plural(len(files), "file") + " changed since the session"}
}

// targetDeps is the configured targets in the order the session's
// dependencies file gives (a target after those whose layouts it uses).
type targetDeps struct {
	order []loop.Target
	uses  session.Dependencies
}

// targetOrder reads the dependencies file and orders the configured
// targets by it; a cycle is reported and the order falls back to names
// for the targets on it.
func (l *pipeline) targetOrder(targets []loop.Target) targetDeps {
	deps, err := l.store.LoadDependencies()
	if err != nil {
		l.logf("%v", err)
	}
	all := session.Dependencies{}
	byName := map[string]loop.Target{}
	for _, t := range targets {
		byName[targetName(t)] = t
		all[targetName(t)] = deps[targetName(t)]
	}
	names, err := all.Order()
	if err != nil {
		l.logf("%v", err)
	}
	out := targetDeps{uses: all}
	for _, n := range names {
		if t, ok := byName[n]; ok {
			out.order = append(out.order, t)
		}
	}
	return out
}

// dependencies says which target's last good layout uses which others':
// A uses B when a top cell of B's layout is a cell of A's.
func (l *pipeline) dependencies() session.Dependencies {
	l.mu.Lock()
	defer l.mu.Unlock()
	deps := session.Dependencies{}
	for a, cells := range l.prev {
		deps[a] = nil
		for b, tops := range l.tops {
			if a == b {
				continue
			}
			for _, top := range tops {
				if _, ok := cells[top]; ok {
					deps[a] = append(deps[a], b)
					break
				}
			}
		}
		sort.Strings(deps[a])
	}
	return deps
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

// restoreTarget checks one target's session against the disk: fresh when
// its cached layout is current; changed lists the root-relative files that
// differ; ok is false when nothing usable was saved. A stale target is
// marked pending with the factories the changes invalidate.
func (l *pipeline) restoreTarget(ctx context.Context, opts depgraph.Options, name string, current []string) (fresh bool, changed []string, ok bool) {
	l.markPending(name, nil) // until shown to be fresh
	m, err := l.store.Load(name)
	if err != nil {
		l.logf("%v; rebuilding %s", err, name) // the warning says "session: ..." itself
		return false, nil, false
	}
	if m == nil || m.GraphFile.File == "" {
		return false, nil, false
	}
	if _, err := os.Stat(l.store.LayoutPath(name)); err != nil {
		l.logf("session: %s has no cached layout; rebuilding", name)
		return false, nil, false
	}
	v, err := session.Validate(ctx, l.root, m)
	if err != nil {
		l.logf("session: %s: %v; rebuilding", name, err)
		return false, nil, false
	}
	if v.Untracked {
		return false, nil, false
	}
	added := m.NewFiles(current)
	changed = append(v.ChangedRel(), added...)
	l.manifests[name] = m
	if len(changed) == 0 {
		delete(l.pending, name)
		l.prev[name], l.tops[name] = deepHashes(m.Cells), topCells(m.Cells)
		if l.files == nil {
			l.files = v.Files
		}
		return true, nil, true
	}
	g, err := l.savedGraph(name, m, opts)
	if err != nil {
		l.logf("%v; rebuilding %s", err, name)
		return false, changed, true
	}
	abs := make([]string, len(changed))
	for i, p := range changed {
		abs[i] = filepath.Join(l.root, filepath.FromSlash(p))
	}
	inv, err := g.Update(ctx, abs)
	if err != nil {
		l.logf("session: %s: %v; rebuilding", name, err)
		return false, changed, true
	}
	if l.graph == nil {
		l.graph = g
		files, err := session.RefreshFiles(ctx, l.root, v.Files, added)
		if err != nil {
			l.logf("session: %v", err)
			files = v.Files
		}
		l.files = files
	}
	l.prev[name], l.tops[name] = deepHashes(m.Cells), topCells(m.Cells)
	if !contains(inv.Targets, name) {
		delete(l.pending, name)
		return true, changed, true
	}
	l.markPending(name, inv.Factories)
	return false, changed, true
}

// savedGraph rebuilds the graph saved with a target's manifest.
func (l *pipeline) savedGraph(name string, m *session.Manifest, opts depgraph.Options) (*depgraph.Graph, error) {
	raw, err := l.store.LoadGraph(name, m)
	if err != nil {
		return nil, err
	}
	var snap depgraph.Snapshot
	if err := json.Unmarshal(raw, &snap); err != nil {
		return nil, fmt.Errorf("session: %s: graph: %w", name, err)
	}
	return depgraph.FromSnapshot(&snap, opts)
}

// loadGraph gives the pipeline its live graph once the cached layouts are
// shown: the graph saved with a fresh target (nothing changed since), or a
// scan of the sources.
func (l *pipeline) loadGraph(ctx context.Context, opts depgraph.Options) {
	if l.graph != nil {
		return
	}
	for _, t := range l.fresh {
		name := targetName(t)
		if m := l.manifests[name]; m != nil {
			g, err := l.savedGraph(name, m, opts)
			if err == nil {
				l.graph = g
				return
			}
			l.logf("%v; scanning the sources", err)
		}
	}
	if err := l.scan(ctx, opts); err != nil {
		l.logf("dependency graph: %v; every change rebuilds every target", err)
	}
}

func deepHashes(cells []session.Cell) map[string]string {
	out := make(map[string]string, len(cells))
	for _, c := range cells {
		out[c.Name] = c.Deep
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// markPending records factories as invalidated for a target until its next
// good build. A nil list marks the whole target.
func (l *pipeline) markPending(target string, factories []string) {
	set := l.pending[target]
	if set == nil {
		set = map[string]bool{}
		l.pending[target] = set
	}
	for _, f := range factories {
		set[f] = true
	}
}

// pendingTargets returns the targets waiting for a good build, sorted, and
// the union of their invalidated factories.
func (l *pipeline) pendingTargets() (targets, factories []string) {
	seen := map[string]bool{}
	targets = []string{}
	for t, set := range l.pending {
		targets = append(targets, t)
		for f := range set {
			if !seen[f] {
				seen[f] = true
				factories = append(factories, f)
			}
		}
	}
	sort.Strings(targets)
	sort.Strings(factories)
	return targets, factories
}

// changedCells counts the cells of a new layout that are new or whose deep
// hash differs from the target's last good layout.
func changedCells(prev map[string]string, hashes map[string]gds.CellHash) int {
	n := 0
	for name, h := range hashes {
		if prev[name] != h.Deep {
			n++
		}
	}
	return n
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
