package gds

import (
	"bytes"
	"math"
	"slices"
	"sort"
)

// DiffResult is the structural difference between two libraries, A and B.
type DiffResult struct {
	// Equal is true when the libraries have the same cells with the same
	// contents and the same database unit.
	Equal bool `json:"equal"`
	// Added are the cells only in B, Removed those only in A, sorted. A
	// renamed cell (CellDiff.RenamedFrom) is in neither.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	// Changed are the cells in both whose own contents differ, by name,
	// and the renamed cells, by their name in B.
	Changed []CellDiff `json:"changed"`
	// GhostsA and GhostsB are the ghost cells (Cell.Ghost: placed but not
	// defined) of A and of B, sorted; nil (and left out of JSON) when there
	// are none.
	GhostsA []string `json:"ghosts_a,omitempty"`
	GhostsB []string `json:"ghosts_b,omitempty"`
	// DBUChanged is true when the database units differ by more than the
	// tolerance; DBU holds A's and B's in metres.
	DBUChanged bool       `json:"-"`
	DBU        [2]float64 `json:"-"`
}

// CellDiff is how one cell differs.
type CellDiff struct {
	Name string `json:"name"`
	// RenamedFrom is the cell's name in A when B has it under another name:
	// a parameterised cell whose name changed with its parameters, paired
	// through the factory that made it (see DiffOptions.Factory); "" (and
	// left out of JSON) when the cell kept its name.
	RenamedFrom string `json:"renamed_from,omitempty"`
	// Layers lists, per (layer, datatype) with a difference, how many shapes
	// B has that A has not (Added) and the reverse (Removed).
	Layers []LayerDiff `json:"layers"`
	// InstancesChanged is true when the cells' instances differ (by child
	// name, transformation, array or properties).
	InstancesChanged bool `json:"instances_changed"`
	// GhostA and GhostB are true when the cell is a ghost cell (Cell.Ghost)
	// in A or in B: a cell defined on one side and only placed on the other
	// differs, even when the definition is empty. Left out of JSON when
	// false.
	GhostA bool `json:"ghost_a,omitempty"`
	GhostB bool `json:"ghost_b,omitempty"`
}

// LayerDiff counts the shapes added and removed on one layer.
type LayerDiff struct {
	Layer    int16 `json:"layer"`
	Datatype int16 `json:"datatype"`
	Added    int   `json:"added"`
	Removed  int   `json:"removed"`
}

// dbuTolerance is the relative difference below which two database units are
// the same: writers disagree in the last bits of the 8-byte real.
const dbuTolerance = 1e-9

// SameUnit reports whether two unit values are equal within the tolerance
// used by Diff.
func SameUnit(a, b float64) bool {
	return a == b || math.Abs(a-b) <= dbuTolerance*math.Max(math.Abs(a), math.Abs(b))
}

// DiffOptions tune Diff.
type DiffOptions struct {
	// Factory returns the name of the factory that made a cell, from the
	// cell's name and metadata (Cell.Meta), or "" when it cannot tell. A
	// cell only in A and a cell only in B that come from the same factory
	// are reported as one renamed cell (CellDiff.RenamedFrom) when the
	// pairing is unambiguous: the factory has one such cell on each side,
	// or the two are placed at the same place in the hierarchy (the same
	// parent, itself matched by name or as renamed, and the same instance
	// transformation) and no other cell of the factory is. nil means
	// FactoryFromMeta; a function that always returns "" pairs nothing.
	Factory func(name string, meta map[string]string) string
}

// FactoryFromMeta is lywatch's one rule for which factory made a cell, as
// the cell's metadata (Cell.Meta) says; the default DiffOptions.Factory,
// and what the session and the dependency graph record. The first key set
// wins: "kfactory:basename" (kfactory 1.x, when a factory is given a
// basename), "kfactory:function_name" (kfactory 1.x),
// "kfactory:settings:function_name" (kfactory 0.x and gdsfactory through
// it), then a bare "function_name" (the key of the NAME.cells.json a
// build writes where KLayout cannot store per-cell metadata). "" for a
// cell without any of them. The name is not used: it is there so the rule
// is a DiffOptions.Factory.
func FactoryFromMeta(_ string, meta map[string]string) string {
	for _, k := range [...]string{"kfactory:basename", "kfactory:function_name", "kfactory:settings:function_name", "function_name"} {
		if v := meta[k]; v != "" {
			return v
		}
	}
	return ""
}

// Diff compares a and b cell by cell (matched by name, renamed cells paired
// by FactoryFromMeta) with the default options; see DiffWith.
func Diff(a, b *Library) *DiffResult { return DiffWith(a, b, DiffOptions{}) }

// DiffWith compares a and b cell by cell, matched by name, and pairs the
// renamed cells of a factory as opts.Factory says. Cells read with
// ReadOptions.HashOnly but not KeepDigests are compared by their shapes
// digest only, without per-layer counts.
func DiffWith(a, b *Library, opts DiffOptions) *DiffResult {
	res := &DiffResult{Added: []string{}, Removed: []string{}, Changed: []CellDiff{}, DBU: [2]float64{a.DBU, b.DBU},
		GhostsA: a.Ghosts(), GhostsB: b.Ghosts()}
	res.DBUChanged = !SameUnit(a.DBU, b.DBU) || !SameUnit(a.UserUnit, b.UserUnit)
	inA, inB := a.byName(), b.byName()
	for _, c := range b.Cells {
		if inA[c.Name] == nil {
			res.Added = append(res.Added, c.Name)
		}
	}
	for _, ca := range a.Cells {
		cb := inB[ca.Name]
		if cb == nil {
			res.Removed = append(res.Removed, ca.Name)
			continue
		}
		if d, changed := diffCell(ca, cb); changed {
			res.Changed = append(res.Changed, d)
		}
	}
	if len(res.Added) > 0 && len(res.Removed) > 0 {
		factory := opts.Factory
		if factory == nil {
			factory = FactoryFromMeta
		}
		res.pairRenames(a, b, inA, inB, factory)
	}
	sort.Strings(res.Added)
	sort.Strings(res.Removed)
	sort.Slice(res.Changed, func(i, j int) bool { return res.Changed[i].Name < res.Changed[j].Name })
	res.Equal = !res.DBUChanged && len(res.Added) == 0 && len(res.Removed) == 0 && len(res.Changed) == 0
	return res
}

// diffCell compares a cell of A with a cell of B: by name, or renamed.
func diffCell(a, b *Cell) (CellDiff, bool) {
	d := CellDiff{Name: b.Name, Layers: []LayerDiff{}}
	if a.Name != b.Name {
		d.RenamedFrom = a.Name
	}
	if ga, gb := a.emptyGhost(), b.emptyGhost(); ga != gb {
		d.GhostA, d.GhostB = ga, gb
	}
	d.InstancesChanged = !slices.Equal(instanceDigests(a), instanceDigests(b))
	ea, oka := cellEntries(a)
	eb, okb := cellEntries(b)
	if !oka || !okb {
		sa, sb := cellShapes(a), cellShapes(b)
		return d, d.differs() || sa != sb
	}
	i, j := 0, 0
	add := func(e shapeEntry, added int) {
		n := len(d.Layers)
		if n == 0 || d.Layers[n-1].Layer != e.layer || d.Layers[n-1].Datatype != e.typ {
			d.Layers = append(d.Layers, LayerDiff{Layer: e.layer, Datatype: e.typ})
			n++
		}
		if added > 0 {
			d.Layers[n-1].Added++
		} else {
			d.Layers[n-1].Removed++
		}
	}
	for i < len(ea) || j < len(eb) {
		switch {
		case j == len(eb) || (i < len(ea) && cmpShapeEntry(ea[i], eb[j]) < 0):
			add(ea[i], -1)
			i++
		case i == len(ea) || cmpShapeEntry(ea[i], eb[j]) > 0:
			add(eb[j], 1)
			j++
		default:
			i++
			j++
		}
	}
	return d, d.differs() || len(d.Layers) > 0
}

// differs reports what diffCell knows before comparing shapes: a rename, a
// ghost on one side only, or changed instances.
func (d *CellDiff) differs() bool {
	return d.RenamedFrom != "" || d.GhostA != d.GhostB || d.InstancesChanged
}

// cellEntries returns the cell's sorted shape entries, if it has them.
func cellEntries(c *Cell) ([]shapeEntry, bool) {
	if c.summary == nil {
		return shapeEntries(c.Shapes, nil), true
	}
	return c.summary.entries, c.summary.kept
}

func cellShapes(c *Cell) [32]byte {
	if c.summary != nil {
		return c.summary.shapes
	}
	return shapesDigest(c.Shapes, nil)
}

func instanceDigests(c *Cell) [][16]byte {
	out := make([][16]byte, len(c.Refs))
	for i := range c.Refs {
		out[i] = instanceDigest(&c.Refs[i], c.Refs[i].Name)
	}
	slices.SortFunc(out, func(x, y [16]byte) int { return bytes.Compare(x[:], y[:]) })
	return out
}
