package pipeline

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/watcher"
)

// EnvInvalidated is the build environment's list of invalidated factory
// names, one per line.
const EnvInvalidated = "LYWATCH_INVALIDATED"

// EnvSessionLayout names the target's last good layout in the session,
// in a build's environment, when the factories of EnvInvalidated are all
// that changed since it was built: a factory not among them may load its
// cell from there instead of computing it (see the README).
const EnvSessionLayout = "LYWATCH_SESSION_LAYOUT"

// plan is the loop's planner (Plan adds the trace channel): it turns a
// cycle's change set into the targets to build, through the dependency
// graph, in build order, keeping the targets whose last build did not
// succeed. The start-up cycle gets what Open decided: the targets the
// session serves (Plan.Cached) and the stale ones.
func (p *Pipeline) plan(ctx context.Context, c *loop.Cycle) (*loop.Plan, error) {
	if c.Initial {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.gen++
		pl := loop.Plan{Targets: p.loopNames(p.order(p.keys()))}
		if p.initial != nil {
			pl = *p.initial
			// A start-up cycle stopped and run again shows nothing twice:
			// it builds what is still pending.
			keys, _, _ := p.pendingTargets()
			p.initial = &loop.Plan{Targets: p.loopNames(p.order(keys)), Note: pl.Note}
		}
		pl.Uses, pl.Generation = p.uses(), p.gen
		p.building(pl.Targets)
		return &pl, nil
	}
	p.LoadGraph(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	p.noteChanges(c.Changes)
	if p.graph == nil {
		return nil, nil
	}
	paths := c.Changes.Paths()
	note := ""
	var reached []string
	for _, f := range paths {
		if !p.covered(f) {
			// Outside the scanned tree: the graph cannot say who reads
			// it, so every target is rebuilt. (A file inside it that no
			// code names reaches every target through the graph.)
			for _, k := range p.keys() {
				p.markPending(k, nil)
			}
			note = "a file the graph does not cover changed"
			reached = p.keys()
			break
		}
	}
	if reached == nil && !p.graphSawBefore(c.Changes) {
		// The graph read a file after this edit (at start-up, while the
		// first builds ran): it cannot say what the edit reaches, and
		// a build under way may have read the content before it.
		reached = p.keys()
	}
	var inv *depgraph.Invalidation
	var err error
	if c.Changes.Rescan {
		inv, err = p.graph.Refresh(ctx)
	} else {
		inv, err = p.graph.Update(ctx, paths)
	}
	if err != nil {
		return nil, err
	}
	for _, e := range append(append([]string(nil), inv.Errors...), inv.Notes...) {
		p.logf("%s", e)
	}
	p.watchInputs()
	for _, t := range inv.Targets {
		p.markPending(t, inv.Factories)
	}
	keys, factories, retry := p.pendingTargets()
	pl := &loop.Plan{
		Targets:     p.loopNames(p.order(keys)),
		Env:         []string{EnvInvalidated + "=" + strings.Join(factories, "\n")},
		Invalidated: factories,
		Uses:        p.uses(),
		Reached:     p.loopNames(union(reached, inv.Targets)),
		Reload:      p.reload(inv),
		TargetEnv:   p.targetEnv(keys),
		Generation:  p.gen,
	}
	switch {
	case note != "":
		pl.Note = note
	case len(inv.Errors) > 0:
		pl.Note = plural(len(inv.Errors), "file") + " did not scan"
	case len(inv.Factories) > 0 || len(inv.Cells) > 0:
		pl.Note = inv.Summary()
	case !inv.Empty():
		pl.Note = "module code changed"
	case retry:
		pl.Note = "retrying the last failed build"
	case len(keys) > 0:
		pl.Note = "building what the session left stale"
	default:
		pl.Note = "no code changed"
	}
	if len(keys) == 0 {
		p.carried = watcher.ChangeSet{} // no build is owed
	} else {
		p.carried = watcher.Merge(p.carried, c.Changes)
		carried := p.carried
		pl.Changes = &carried
	}
	p.building(pl.Targets)
	return pl, nil
}

// reload is what warm workers reload for inv (depgraph.Graph.Reload, a
// walk of the importers): none, and no walk on the save's path, when no
// target builds warm.
func (p *Pipeline) reload(inv *depgraph.Invalidation) []string {
	for _, t := range p.proj.Targets {
		if t.Warm {
			return p.graph.Reload(inv)
		}
	}
	return nil
}

// union returns the strings of a and b, each once, in order.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, s := range append(append([]string(nil), a...), b...) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// graphSawBefore reports whether the graph holds, for every file of the
// change set it knows, the content the change started from: then its
// invalidation says all that the change reaches. After lost events
// (Rescan) it cannot say. The caller holds p.mu.
func (p *Pipeline) graphSawBefore(cs watcher.ChangeSet) bool {
	if cs.Rescan {
		return false
	}
	for _, ch := range cs.Changes {
		if h := p.graph.FileHash(ch.Path); h != "" && h != ch.OldHash {
			return false
		}
	}
	return true
}

// uses says, by the loop's target names, which targets' layouts each
// target's last good layout places. The caller holds p.mu.
func (p *Pipeline) uses() map[string][]string {
	out := map[string][]string{}
	for k, us := range p.dependencies() {
		if t, ok := p.proj.Target(k); ok {
			out[t.Name] = p.loopNames(us)
		}
	}
	return out
}

// targetEnv gives the targets whose session layout may be reused their
// EnvSessionLayout. The caller holds p.mu.
func (p *Pipeline) targetEnv(keys []string) map[string][]string {
	out := map[string][]string{}
	for _, k := range keys {
		if p.reusable(k) {
			t, _ := p.proj.Target(k)
			out[t.Name] = []string{EnvSessionLayout + "=" + p.store.LayoutPath(k)}
		}
	}
	return out
}

// reusable reports whether a build of target k may take cells from its
// session layout: the session holds the layout of its last good build,
// and what changed since is known factory by factory (no mark of the
// whole target). The caller holds p.mu.
func (p *Pipeline) reusable(k string) bool {
	if p.store == nil || p.settled[k] == 0 || p.saved[k] != p.settled[k] {
		return false
	}
	pt := p.pending[k]
	return pt == nil || pt.all == 0
}

// building notes that the targets named are about to be built: they count
// as failed until a good build settles them (see pendingTargets).
func (p *Pipeline) building(names []string) {
	for _, n := range names {
		if t, ok := p.proj.Target(n); ok {
			if pt := p.pending[t.Key()]; pt != nil {
				pt.failed = true
			}
		}
	}
}

// covered reports whether the graph reads the file at f: under its
// directory or an editable install's. The caller holds p.mu.
func (p *Pipeline) covered(f string) bool {
	if project.Within(p.graph.Dir(), f) {
		return true
	}
	for _, r := range p.graph.ExtraRoots() {
		if project.Within(r, f) {
			return true
		}
	}
	return false
}

// noteChanges records the change set's files for the next save: the hash
// the watcher read, which is what the build reads, with the stat cache
// marked untrusted (Size -1) so the next start rehashes exactly these
// files. Nothing is read here: the plan is on the path from save to build.
func (p *Pipeline) noteChanges(cs watcher.ChangeSet) {
	if p.store == nil {
		return
	}
	for _, ch := range cs.Changes {
		rel, err := relAny(p.proj.Root, ch.Path)
		if err != nil {
			continue
		}
		f := session.File{Path: rel, SHA256: ch.NewHash, Size: -1}
		if ch.Kind == watcher.Deleted {
			f.SHA256 = ""
		}
		p.changes[rel] = f
	}
}

// pendingTargets returns the targets waiting for a good build, sorted,
// the union of their invalidated factories, and whether one of them is
// waiting because its last build failed.
func (p *Pipeline) pendingTargets() (targets, factories []string, retry bool) {
	seen := map[string]bool{}
	targets = []string{}
	for t, pt := range p.pending {
		targets = append(targets, t)
		retry = retry || pt.failed
		for f := range pt.factories {
			if !seen[f] {
				seen[f] = true
				factories = append(factories, f)
			}
		}
	}
	sort.Strings(targets)
	sort.Strings(factories)
	return targets, factories, retry
}
