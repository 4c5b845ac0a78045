package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/session"
)

// saveStage keeps a good build as the target's last good state: its
// layout, the tracked files, the cells and the graph. Only good builds
// that read get here, so a failed build saves nothing; a save that fails
// leaves the previous session as it was.
type saveStage struct{ p *Pipeline }

func (saveStage) name() string { return "save" }

func (s saveStage) run(ctx context.Context, b *built) (string, error) {
	p := s.p
	if p.store == nil || p.readOnly || b.lib == nil {
		return "", errQuiet
	}
	m, err := p.manifest(b)
	if err != nil {
		return "", err
	}
	if err := p.saveBuild(ctx, b, m); err != nil {
		if errors.Is(err, session.ErrLocked) {
			p.stop(fmt.Errorf("the session was deleted and another lywatch took it: %w", err))
		}
		return "", err
	}
	p.mu.Lock()
	if b.settled > p.saved[b.target.Key()] {
		p.saved[b.target.Key()] = b.settled
	}
	deps := p.dependencies()
	p.mu.Unlock()
	if err := p.store.SaveDependencies(deps); err != nil {
		return "", err
	}
	return "", nil
}

// manifest gathers the plain data the session keeps for one target.
func (p *Pipeline) manifest(b *built) (*session.Manifest, error) {
	cells, err := session.CellsFromLayout(b.lib, b.hashes)
	if err != nil {
		return nil, err
	}
	meta := p.proj.Meta()
	meta["command"] = strings.Join(b.target.Command, " ")
	key := *p.key(context.Background(), b.target)
	m := &session.Manifest{Files: p.trackedFiles(), Meta: meta}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.graph != nil && key.Interpreter != nil {
		key.Packages = p.graph.Packages()
	}
	kb, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	meta[MetaBuildKey] = string(kb)
	if p.graph != nil {
		for i := range cells {
			cells[i].Factory = p.graph.FactoryOf(cellInfo(b, cells[i].Name))
		}
		if m.Graph, err = json.Marshal(p.graph.Export()); err != nil {
			return nil, err
		}
		m.Functions, m.Factories = graphRecords(p.graph, p.proj.Root)
	}
	m.Cells = cells
	return m, nil
}

// cellInfo returns the read cell of that name (with the factory the
// layout names).
func cellInfo(b *built, name string) depgraph.CellInfo {
	for _, c := range b.cells {
		if c.Name == name {
			return c
		}
	}
	return depgraph.CellInfo{Name: name}
}

// trackedFiles returns the tracked files with the changes noted since the
// last save applied, sorted by path, and makes that the new table.
func (p *Pipeline) trackedFiles() []session.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.changes) == 0 {
		return append([]session.File(nil), p.files...)
	}
	out := make([]session.File, 0, len(p.files)+len(p.changes))
	for _, f := range p.files {
		if _, ok := p.changes[f.Path]; !ok {
			out = append(out, f)
		}
	}
	for _, f := range p.changes {
		if f.SHA256 != "" {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	p.files, p.changes = out, map[string]session.File{}
	return append([]session.File(nil), out...)
}

// graphRecords flattens the graph into the session's plain records: the
// hash of every function, and the factories with their root-relative
// files.
func graphRecords(g *depgraph.Graph, root string) (map[string]string, map[string]session.Factory) {
	functions := map[string]string{}
	factories := map[string]session.Factory{}
	for _, fi := range g.Files() {
		file := fi.Path
		if r, err := session.RelPath(root, filepath.Join(g.Dir(), filepath.FromSlash(fi.Path))); err == nil {
			file = r
		}
		for _, d := range fi.Defs {
			functions[fi.Module+"."+d.Name] = d.Hash
			if d.Factory {
				factories[d.Name] = session.Factory{Hash: d.Hash, File: file}
			}
		}
	}
	return functions, factories
}
