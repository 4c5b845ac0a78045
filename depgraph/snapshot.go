package depgraph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
)

// SnapshotVersion is the version of the Snapshot layout; FromSnapshot
// refuses other versions.
const SnapshotVersion = 1

// Snapshot is a graph as plain data, for the session cache: the scanned
// files (paths relative to the project directory, so a moved checkout
// still matches) and the last layouts. Marshal it with encoding/json.
type Snapshot struct {
	Version int          `json:"version"`
	Files   []FileInfo   `json:"files"`
	Layouts []LayoutInfo `json:"layouts,omitzero"`
}

// LayoutInfo is the cells of one target's last good build.
type LayoutInfo struct {
	Target string     `json:"target"`
	Cells  []CellInfo `json:"cells"`
}

// Export returns the graph as plain data. The result shares nothing with
// the graph.
func (g *Graph) Export() *Snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := &Snapshot{Version: SnapshotVersion}
	for _, fi := range g.sortedFiles() {
		c := *fi
		c.Defs = append([]Def(nil), fi.Defs...)
		c.Imports = append([]Import(nil), fi.Imports...)
		s.Files = append(s.Files, c)
	}
	var targets []string
	for t := range g.layouts {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		s.Layouts = append(s.Layouts, LayoutInfo{Target: t, Cells: append([]CellInfo(nil), g.layouts[t]...)})
	}
	return s
}

// FromSnapshot rebuilds a graph from a snapshot without reading the
// sources; opts gives the project directory, targets and so on. Call
// Refresh next to catch up with edits made since the snapshot.
func FromSnapshot(s *Snapshot, opts Options) (*Graph, error) {
	if s == nil {
		return nil, fmt.Errorf("depgraph: nil snapshot")
	}
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("depgraph: snapshot version %d, want %d", s.Version, SnapshotVersion)
	}
	g, err := newGraph(opts)
	if err != nil {
		return nil, err
	}
	for i := range s.Files {
		fi := s.Files[i]
		fi.Defs = append([]Def(nil), fi.Defs...)
		fi.Imports = append([]Import(nil), fi.Imports...)
		g.files[fi.Path] = &fi
	}
	for _, l := range s.Layouts {
		g.layouts[l.Target] = append([]CellInfo(nil), l.Cells...)
	}
	g.linkAll()
	return g, nil
}

// Refresh compares the files on disk with the graph (by SHA-256) and
// updates the graph with every file that changed, appeared or went away.
func (g *Graph) Refresh(ctx context.Context) (*Invalidation, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	paths, err := g.walk(ctx)
	if err != nil {
		return nil, err
	}
	var changed []string
	seen := map[string]bool{}
	for _, p := range paths {
		rel := g.rel(p)
		seen[rel] = true
		fi := g.files[rel]
		if fi == nil {
			changed = append(changed, p)
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			changed = append(changed, p)
			continue
		}
		sum := sha256.Sum256(src)
		if hex.EncodeToString(sum[:]) != fi.Hash {
			changed = append(changed, p)
		}
	}
	for rel := range g.files {
		if !seen[rel] {
			changed = append(changed, rel)
		}
	}
	return g.update(ctx, changed)
}
