package depgraph

import (
	"context"
	"fmt"
	"sort"
)

// SnapshotVersion is the version of the Snapshot layout; FromSnapshot
// refuses other versions. Version 2 added methods, bindings, data files
// and installed packages.
const SnapshotVersion = 2

// Snapshot is a graph as plain data, for the session cache: the scanned
// files (paths relative to the project directory, so a moved checkout
// still matches; absolute for editable installs outside it), the data
// files with their hashes, the installed packages the sources import with
// their versions, and the last layouts. Marshal it with encoding/json.
type Snapshot struct {
	Version  int          `json:"version"`
	Files    []FileInfo   `json:"files"`
	Data     []DataFile   `json:"data,omitzero"`
	Packages []Package    `json:"packages,omitzero"`
	Layouts  []LayoutInfo `json:"layouts,omitzero"`
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
		s.Files = append(s.Files, copyFileInfo(fi))
	}
	for key, d := range g.data {
		s.Data = append(s.Data, DataFile{Path: key, Hash: d.hash, Included: d.included, Names: append([]string(nil), d.names...)})
	}
	sort.Slice(s.Data, func(i, j int) bool { return s.Data[i].Path < s.Data[j].Path })
	for _, p := range g.packages() {
		if p.Name != "" {
			s.Packages = append(s.Packages, p)
		}
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

// copyFileInfo copies a FileInfo and the slices of structs it holds.
func copyFileInfo(fi *FileInfo) FileInfo {
	c := *fi
	c.Imports = append([]Import(nil), fi.Imports...)
	c.Bindings = append([]Binding(nil), fi.Bindings...)
	c.Defs = append([]Def(nil), fi.Defs...)
	for i := range c.Defs {
		c.Defs[i].Methods = append([]Def(nil), c.Defs[i].Methods...)
	}
	return c
}

// FromSnapshot rebuilds a graph from a snapshot without reading the
// sources; opts gives the project directory, targets and so on (files
// its excludes name are left out). Call Refresh next to catch up with edits made since the snapshot.
func FromSnapshot(s *Snapshot, opts Options) (*Graph, error) {
	if s == nil {
		return nil, fmt.Errorf("depgraph: nil snapshot")
	}
	if s.Version != SnapshotVersion {
		return nil, fmt.Errorf("depgraph: snapshot version %d, want %d (scan the sources again)", s.Version, SnapshotVersion)
	}
	g, err := newGraph(opts)
	if err != nil {
		return nil, err
	}
	for i := range s.Files {
		if g.excludedPath(s.Files[i].Path) {
			continue // excluded since the snapshot was taken
		}
		fi := copyFileInfo(&s.Files[i])
		g.files[fi.Path] = &fi
	}
	for _, d := range s.Data {
		if g.excludedPath(d.Path) {
			continue
		}
		g.data[d.Path] = &dataFile{included: d.Included, hash: d.Hash, names: append([]string(nil), d.Names...)}
	}
	g.dists = map[string]Package{}
	for _, p := range s.Packages {
		g.dists[p.Module] = p
	}
	for _, l := range s.Layouts {
		g.layouts[l.Target] = append([]CellInfo(nil), l.Cells...)
	}
	g.linkAll()
	return g, nil
}

// Refresh compares the files on disk with the graph (by SHA-256: sources,
// data files) and the installed packages with those it recorded, and
// updates the graph with every file that changed, appeared or went away
// and every package upgraded, installed or removed.
func (g *Graph) Refresh(ctx context.Context) (*Invalidation, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	paths, data, err := g.walk(ctx)
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
		if sum, err := hashFile(p); err != nil || sum != fi.Hash {
			changed = append(changed, p)
		}
	}
	for rel := range g.files {
		if !seen[rel] {
			changed = append(changed, rel)
		}
	}
	for _, p := range data {
		if g.data[g.rel(p)] == nil {
			changed = append(changed, p)
		}
	}
	for key, d := range g.data {
		if sum, err := hashFile(g.abs(key)); err != nil || sum != d.hash {
			changed = append(changed, key)
		}
	}
	return g.update(ctx, changed, g.refreshPackages)
}
