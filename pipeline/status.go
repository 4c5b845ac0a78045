package pipeline

import (
	"context"
	"path/filepath"
	"slices"
	"sort"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
)

// Status is the state of a project's session: what `lywatch session show`
// prints. Targets are in build order.
type Status struct {
	Dir          string               `json:"dir"`
	Root         string               `json:"root"`
	Targets      []TargetStatus       `json:"targets"`
	Dependencies session.Dependencies `json:"dependencies,omitempty"`
	// Warnings are about the session as a whole.
	Warnings []string `json:"warnings,omitempty"`
}

// TargetStatus is one target: the session's own account (state, changed
// files, cells) and, when it is stale, what the dependency graph says the
// changes reach, computed as the live loop computes it.
type TargetStatus struct {
	session.TargetStatus
	Stale *Staleness `json:"stale,omitempty"`
}

// Staleness is what a target's changed files reach.
type Staleness struct {
	// Files are the changed files, root-relative; Factories and Cells the
	// invalidated factories and the target's invalidated cells, sorted.
	Files     []string `json:"files"`
	Factories []string `json:"factories"`
	Cells     []string `json:"cells"`
	// Reaches is true when the changes reach the target (its build would
	// run): false when they change only code the target does not use.
	Reaches bool `json:"reaches"`
	// Chain goes from an edit to the target, one step a line, when the
	// changes reach it (depgraph.Invalidation.Explain).
	Chain []string `json:"chain,omitempty"`
	// Error says why the graph could not tell (everything is then stale).
	Error string `json:"error,omitempty"`
}

// SessionStatus opens a project's session read-only (it works while a loop
// holds it), validates every target (or only those named) against the
// files on disk and, for each stale one, follows the changes through the
// graph saved with its last good build.
func SessionStatus(ctx context.Context, proj *project.Project, only ...string) (*Status, error) {
	st, err := session.OpenReadOnly(proj.SessionDir, session.Options{Root: proj.Root})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ss, err := st.Status(ctx, only...)
	if err != nil {
		return nil, err
	}
	gopts, err := GraphOptions(proj)
	if err != nil {
		return nil, err
	}
	out := &Status{Dir: ss.Dir, Root: ss.Root, Dependencies: ss.Dependencies, Warnings: ss.Warnings, Targets: []TargetStatus{}}
	byName := map[string]TargetStatus{}
	var names []string
	layouts := map[string]layoutState{}
	for _, t := range ss.Targets {
		ts := TargetStatus{TargetStatus: t}
		if t.State == "stale" && t.Manifest != nil {
			ts.Stale = staleness(ctx, st, gopts, proj.Root, t)
		}
		if t.Manifest != nil {
			layouts[t.Target] = layoutStateOf(t.Manifest.Cells)
		}
		byName[t.Target] = ts
		names = append(names, t.Target)
	}
	sort.Strings(names)
	order, cycle := buildOrder(names, dependencies(layouts))
	if cycle != nil {
		out.Warnings = append(out.Warnings, "the layouts of these targets place each other: "+joinArrow(cycle))
	}
	for _, n := range order {
		out.Targets = append(out.Targets, byName[n])
	}
	return out, nil
}

// staleness catches the graph saved with a target's last good build up
// with its changed files, as the loop's restore does.
func staleness(ctx context.Context, st Store, gopts depgraph.Options, root string, t session.TargetStatus) *Staleness {
	s := &Staleness{Files: []string{}, Factories: []string{}, Cells: []string{}, Reaches: true}
	for _, c := range t.Changed {
		s.Files = append(s.Files, c.Path)
	}
	sort.Strings(s.Files)
	snap, err := savedSnapshot(st, t.Target, t.Manifest)
	if err != nil {
		s.Error = err.Error()
		return s
	}
	gopts.Targets = snapshotTargets(snap, gopts.Targets)
	g, err := depgraph.FromSnapshot(snap, gopts)
	if err != nil {
		s.Error = err.Error()
		return s
	}
	abs := make([]string, len(s.Files))
	for i, f := range s.Files {
		abs[i] = filepath.Join(root, filepath.FromSlash(f))
	}
	inv, err := g.Update(ctx, abs)
	if err != nil {
		s.Error = err.Error()
		return s
	}
	s.Reaches = slices.Contains(inv.Targets, t.Target)
	if s.Reaches {
		s.Chain = inv.Explain(t.Target)
	}
	s.Factories = append(s.Factories, inv.Factories...)
	for _, c := range inv.Cells {
		if t.Manifest.Cell(c) != nil && !slices.Contains(s.Cells, c) {
			s.Cells = append(s.Cells, c)
		}
	}
	sort.Strings(s.Factories)
	sort.Strings(s.Cells)
	return s
}

// snapshotTargets is the targets a snapshot's graph is rebuilt with: the
// project's, else one per layout the snapshot holds.
func snapshotTargets(snap *depgraph.Snapshot, given []depgraph.Target) []depgraph.Target {
	if len(given) > 0 {
		return given
	}
	var out []depgraph.Target
	for _, l := range snap.Layouts {
		out = append(out, depgraph.Target{Name: l.Target})
	}
	return out
}

func joinArrow(l []string) string {
	s := ""
	for i, x := range l {
		if i > 0 {
			s += " -> "
		}
		s += x
	}
	return s
}
