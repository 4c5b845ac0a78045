package session

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/lywatch/lywatch/gds"
)

// SaveCell saves only the named cell and its descendants as target's
// session, like kfactory's save_session(c=...). The layout comes from
// layoutPath, or from the target's stored layout when layoutPath is "". The
// manifest is the target's current one (its tracked files, functions,
// factories and edges kept) with its cells cut down to the subset and their
// hashes and children taken from the layout; with no current manifest it
// holds only the cells, tracks no files, and Validate reports it Untracked.
// It returns the saved manifest.
func (s *Store) SaveCell(target, cell, layoutPath string) (*Manifest, error) {
	base, err := s.Load(target)
	if err != nil && !IsWarning(err) {
		return nil, err
	}
	if layoutPath == "" {
		if base == nil {
			return nil, fmt.Errorf("session: target %q has no saved layout to take cell %q from; give a layout file", target, cell)
		}
		layoutPath = s.LayoutPath(target)
	}
	lib, err := gds.ReadFile(layoutPath)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	sub, err := lib.Subset(cell)
	if err != nil {
		return nil, fmt.Errorf("session: %s: %w", layoutPath, err)
	}
	hashes, err := sub.Hashes()
	if err != nil {
		return nil, fmt.Errorf("session: %s: %w", layoutPath, err)
	}
	m := &Manifest{}
	if base != nil {
		m = base.Clone()
	}
	m.Cells = layoutCells(sub, hashes, m)
	tmp, err := os.MkdirTemp(s.dir, ".tmp-cell-")
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, cellsName)
	if err := gds.WriteFile(out, sub); err != nil {
		return nil, fmt.Errorf("session: write subset: %w", err)
	}
	if err := s.Save(target, m, out); err != nil {
		return nil, err
	}
	return m, nil
}

// CellsFromLayout lists a layout's cells as a manifest records them: their
// local and deep hashes, children, and the factory KLayout's metadata names
// (gds.FactoryFromMeta), sorted by name. hashes are the
// library's Hashes when the caller has them already; nil computes them.
func CellsFromLayout(lib *gds.Library, hashes map[string]gds.CellHash) ([]Cell, error) {
	if hashes == nil {
		var err error
		if hashes, err = lib.Hashes(); err != nil {
			return nil, err
		}
	}
	return layoutCells(lib, hashes, &Manifest{}), nil
}

// layoutCells lists a layout's cells with their hashes, keeping the
// factory recorded in base or, failing that, the one KLayout's metadata
// names.
func layoutCells(sub *gds.Library, hashes map[string]gds.CellHash, base *Manifest) []Cell {
	var out []Cell
	for _, c := range sub.Cells {
		h := hashes[c.Name]
		cell := Cell{Name: c.Name, Local: h.Local, Deep: h.Deep, Children: c.Children()}
		if old := base.Cell(c.Name); old != nil {
			cell.Factory = old.Factory
		}
		if cell.Factory == "" {
			cell.Factory = gds.FactoryFromMeta(c.Name, c.Meta)
		}
		out = append(out, cell)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
