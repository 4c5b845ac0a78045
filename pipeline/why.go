package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
)

// Layout is a built layout whose cells join a graph: `lywatch graph
// --layout FILE [--target T] [--entry F]...`.
type Layout struct {
	// Path is the layout file ("" for none).
	Path string
	// Target names the target that built it.
	Target string
	// Entries are the target's entry files.
	Entries []string
}

// ScanGraph scans a project's sources and adds a layout's cells: what
// `lywatch graph` prints.
func ScanGraph(ctx context.Context, proj *project.Project, l Layout) (*depgraph.Graph, error) {
	opts, err := GraphOptions(proj)
	if err != nil {
		return nil, err
	}
	if l.Path != "" {
		opts.Targets = []depgraph.Target{{Name: l.Target, Output: l.Path, Entries: l.Entries}}
	}
	g, err := depgraph.Scan(ctx, opts)
	if err != nil {
		return nil, err
	}
	return g, addLayout(g, l)
}

// addLayout adds a layout's cells, if one is given, to the graph.
func addLayout(g *depgraph.Graph, l Layout) error {
	if l.Path == "" {
		return nil
	}
	cells, err := ReadLayoutCells(l.Path)
	if err != nil {
		return err
	}
	g.SetLayout(l.Target, cells)
	return nil
}

// Explanation is what `lywatch why NAME` says.
type Explanation struct {
	*depgraph.Description
	// Since names what the sources were compared with ("" for nothing).
	Since string `json:"since,omitzero"`
	// Stale is true when something NAME depends on changed since; Chain
	// then goes from the edit to NAME.
	Stale bool     `json:"stale"`
	Chain []string `json:"chain,omitzero"`
	// Files are the files changed since.
	Files []string `json:"changed_files,omitzero"`
}

// WhyOptions say what `why` compares with.
type WhyOptions struct {
	// Since is a snapshot file (`lywatch graph --save`); "" compares with
	// the session's last good build of Target.
	Since string
	// Target picks the session's target (default: the only one, or
	// "default").
	Target string
	// Layout adds a layout's cells.
	Layout Layout
}

// Why explains what NAME (a target, cell, factory, function, module or
// file) depends on and, when there is a baseline to compare with (the
// session's last good build, or a snapshot), the chain of edits that made
// it stale.
func Why(ctx context.Context, proj *project.Project, name string, o WhyOptions) (*Explanation, error) {
	var snap *depgraph.Snapshot
	baseline := o.Since
	if o.Since != "" {
		s, err := ReadSnapshot(o.Since)
		if err != nil {
			return nil, err
		}
		snap = s
	} else {
		snap, baseline = sessionSnapshot(proj, o.Target)
	}
	var g *depgraph.Graph
	var inv *depgraph.Invalidation
	var err error
	if snap != nil {
		g, inv, err = catchUp(ctx, proj, snap, o.Layout)
	} else {
		g, err = ScanGraph(ctx, proj, o.Layout)
	}
	if err != nil {
		return nil, err
	}
	d, err := g.Describe(name)
	if err != nil {
		return nil, err
	}
	out := &Explanation{Description: d, Since: baseline}
	if inv != nil {
		out.Chain = inv.Explain(name)
		out.Stale = out.Chain != nil
		out.Files = inv.Files
	}
	return out, nil
}

// catchUp rebuilds the graph a snapshot recorded and updates it with the
// files changed on disk since; the invalidation says what is stale.
func catchUp(ctx context.Context, proj *project.Project, snap *depgraph.Snapshot, l Layout) (*depgraph.Graph, *depgraph.Invalidation, error) {
	opts, err := GraphOptions(proj)
	if err != nil {
		return nil, nil, err
	}
	if l.Path != "" {
		opts.Targets = []depgraph.Target{{Name: l.Target, Output: l.Path, Entries: l.Entries}}
	}
	opts.Targets = snapshotTargets(snap, opts.Targets)
	g, err := depgraph.FromSnapshot(snap, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := addLayout(g, l); err != nil {
		return nil, nil, err
	}
	inv, err := g.Refresh(ctx)
	if err != nil {
		return nil, nil, err
	}
	return g, inv, nil
}

// sessionSnapshot returns the graph the session saved with the last good
// build of target (default: the only target, or "default"), and words
// naming it; nil when there is none.
func sessionSnapshot(proj *project.Project, target string) (*depgraph.Snapshot, string) {
	if proj.SessionDir == "" {
		return nil, ""
	}
	st, err := session.OpenReadOnly(proj.SessionDir, session.Options{Root: proj.Root})
	if err != nil {
		return nil, ""
	}
	defer st.Close()
	if target == "" {
		target = session.DefaultTarget
		if names, err := st.Targets(); err == nil && len(names) == 1 {
			target = names[0]
		}
	}
	m, err := st.Load(target)
	if err != nil || m == nil {
		return nil, ""
	}
	snap, err := savedSnapshot(st, target, m)
	if err != nil {
		return nil, ""
	}
	return snap, "the session's last good build of " + target
}

// WriteSnapshot writes a graph's snapshot to path (`lywatch graph --save`).
func WriteSnapshot(path string, g *depgraph.Graph) error {
	b, err := json.Marshal(g.Export())
	if err != nil {
		return err
	}
	return session.WriteFileAtomic(path, b, 0o644)
}

// ReadSnapshot reads a snapshot written by WriteSnapshot.
func ReadSnapshot(path string) (*depgraph.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s depgraph.Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}
