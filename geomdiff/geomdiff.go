package geomdiff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/lywatch/lywatch/gds"
)

// Options tune Compare. The zero value compares exactly, pairs renamed
// cells by kfactory's metadata and writes nothing but the result.
type Options struct {
	// Tolerance, in database units, is how far apart two edges may lie and
	// still count as the same: the XOR is shrunk by Tolerance and grown
	// back (KLayout's Region.sized), so slivers up to 2×Tolerance wide
	// drop out. 0 compares exactly.
	Tolerance int
	// Factory names the factory that made a cell, to pair a parameterised
	// cell renamed with its parameters with its old name (see
	// gds.DiffOptions.Factory); nil: gds.FactoryFromMeta.
	Factory func(name string, meta map[string]string) string
	// KLayout is the klayout binary; "" finds "klayout" on PATH.
	KLayout string
	// RDB, when set, is where KLayout writes the report database (.lyrdb):
	// one category per layer, one item per differing region.
	RDB string
	// Artifacts, when set, is a folder that receives xor.gds (each
	// differing cell's old, new and XOR geometry side by side) and a PNG
	// of each differing cell, rendered by KLayout.
	Artifacts string
	// MaxItems bounds the report database's items per cell and layer
	// (0: 1000); the counts in the result are never bounded.
	MaxItems int
}

// Result is how two layouts, A (the old one, or the reference) and B,
// differ.
type Result struct {
	A string `json:"a"`
	B string `json:"b"`
	// Same is true when the geometry is the same within the tolerance:
	// no cell has an XOR area or a label that differs.
	Same bool `json:"same"`
	// Identical is true when no XOR was needed: the same cells with the
	// same hashes (and database unit).
	Identical bool `json:"identical"`
	// DBU is B's database unit in micrometres; DBUChanged says A's differs.
	DBU        float64 `json:"dbu"`
	DBUChanged bool    `json:"dbu_changed,omitempty"`
	// Tolerance is Options.Tolerance, in database units.
	Tolerance int `json:"tolerance_dbu"`
	// Compared is the number of cells whose hashes differ, XORed by KLayout.
	Compared int `json:"compared"`
	// Cells are the cells whose geometry differs, by name in B.
	Cells []Cell `json:"cells"`
	// Renamed are the cells B has under a new name, paired with their name
	// in A through the factory that made them, whether or not their
	// geometry changed.
	Renamed []Rename `json:"renamed,omitempty"`
	// Files KLayout wrote: the report database, the XOR layout and the
	// PNG of each differing cell (by cell name).
	RDB       string            `json:"rdb,omitempty"`
	XORLayout string            `json:"xor_layout,omitempty"`
	PNGs      map[string]string `json:"pngs,omitempty"`
	// HashTime is the time spent reading and comparing the hashes,
	// XORTime the time KLayout took (both zero when not spent).
	HashTime time.Duration `json:"hash_ns"`
	XORTime  time.Duration `json:"xor_ns"`
}

// Rename is a cell renamed with its parameters.
type Rename struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Factory string `json:"factory,omitempty"`
}

// Cell is one cell whose geometry differs.
type Cell struct {
	// Name is the cell's name in B (in A for a removed top cell).
	Name string `json:"name"`
	// RenamedFrom is its name in A when it was renamed.
	RenamedFrom string `json:"renamed_from,omitempty"`
	// Status is "modified", "added" (a top cell only in B) or "removed"
	// (a top cell only in A).
	Status string `json:"status"`
	// Layers are the layers that differ, by layer and datatype.
	Layers []Layer `json:"layers"`
}

// Layer is the difference on one layer of one cell.
type Layer struct {
	Layer    int    `json:"layer"`
	Datatype int    `json:"datatype"`
	Name     string `json:"name,omitempty"`
	// Area is the XOR area in square micrometres; Added the part only in
	// B, Removed the part only in A.
	Area    float64 `json:"area"`
	Added   float64 `json:"added"`
	Removed float64 `json:"removed"`
	// Polygons is the number of polygons of the XOR.
	Polygons int `json:"polygons"`
	// BBox bounds the XOR, in micrometres in the cell's coordinates; nil
	// when only labels differ.
	BBox *Box `json:"bbox,omitempty"`
	// LabelsAdded and LabelsRemoved count the texts only in B and only in
	// A (texts have no area).
	LabelsAdded   int `json:"labels_added,omitempty"`
	LabelsRemoved int `json:"labels_removed,omitempty"`
}

// Box is a rectangle in micrometres.
type Box struct {
	Left   float64 `json:"left"`
	Bottom float64 `json:"bottom"`
	Right  float64 `json:"right"`
	Top    float64 `json:"top"`
}

// String formats the box as KLayout does: (left,bottom;right,top).
func (b Box) String() string {
	return fmt.Sprintf("(%g,%g;%g,%g)", b.Left, b.Bottom, b.Right, b.Top)
}

// Layer returns "L/D", the layer as KLayout names it.
func (l Layer) String() string { return fmt.Sprintf("%d/%d", l.Layer, l.Datatype) }

// Compare tells how the layouts at a and b differ (see the package
// documentation). Unreadable layouts, and KLayout failing or missing, are
// errors.
func Compare(ctx context.Context, a, b string, o Options) (*Result, error) {
	start := time.Now()
	libs, err := readBoth(ctx, a, b, gds.ReadOptions{HashOnly: true, KeepDigests: true})
	if err != nil {
		return nil, err
	}
	return CompareLibraries(ctx, a, b, libs[0], libs[1], o, start)
}

// CompareLibraries is Compare for layouts already read (with
// ReadOptions.HashOnly and KeepDigests, or whole) from the files at a and
// b; start is when their reading began, for Result.HashTime.
func CompareLibraries(ctx context.Context, a, b string, la, lb *gds.Library, o Options, start time.Time) (*Result, error) {
	diff := gds.DiffWith(la, lb, gds.DiffOptions{Factory: o.Factory})
	res := &Result{A: a, B: b, DBU: lb.DBUMicrons(), DBUChanged: diff.DBUChanged, Tolerance: o.Tolerance, Cells: []Cell{}}
	factory := o.Factory
	if factory == nil {
		factory = gds.FactoryFromMeta
	}
	for _, c := range diff.Changed {
		if c.RenamedFrom != "" {
			var meta map[string]string
			if cell := lb.Cell(c.Name); cell != nil {
				meta = cell.Meta
			}
			res.Renamed = append(res.Renamed, Rename{From: c.RenamedFrom, To: c.Name, Factory: factory(c.Name, meta)})
		}
	}
	var pairs []pair
	if !diff.Equal {
		pairs = cellPairs(diff, la, lb)
	}
	res.Compared = len(pairs)
	res.HashTime = time.Since(start)
	if len(pairs) == 0 {
		res.Same, res.Identical = true, diff.Equal
		if o.RDB != "" {
			if err := writeEmptyRDB(o.RDB); err != nil {
				return nil, err
			}
			res.RDB = o.RDB
		}
		return res, nil
	}
	xstart := time.Now()
	if err := runXOR(ctx, a, b, la, lb, pairs, diff, o, res); err != nil {
		return nil, err
	}
	res.XORTime = time.Since(xstart)
	res.Same = len(res.Cells) == 0
	return res, nil
}

// pair is one cell of A and its counterpart in B, compared by KLayout; ""
// on one side for a top cell the other layout lacks.
type pair struct {
	A string `json:"a"`
	B string `json:"b"`
}

// cellPairs lists the cells to XOR: those whose own content differs (by
// name, or renamed), and the top cells only one side has. A cell that
// differs only through a child is left to the child; a cell added or
// removed below the top is seen through its parent, whose instances
// changed. With another database unit every top cell is compared.
func cellPairs(diff *gds.DiffResult, la, lb *gds.Library) []pair {
	var out []pair
	seen := map[pair]bool{}
	add := func(p pair) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, c := range diff.Changed {
		from := c.Name
		if c.RenamedFrom != "" {
			from = c.RenamedFrom
		}
		add(pair{A: from, B: c.Name})
	}
	topsA, topsB := la.TopCells(), lb.TopCells()
	for _, n := range diff.Removed {
		if slices.Contains(topsA, n) {
			add(pair{A: n})
		}
	}
	for _, n := range diff.Added {
		if slices.Contains(topsB, n) {
			add(pair{B: n})
		}
	}
	if diff.DBUChanged {
		for _, n := range topsB {
			if slices.Contains(topsA, n) {
				add(pair{A: n, B: n})
			}
		}
	}
	return out
}

// readBoth reads two layouts side by side.
func readBoth(ctx context.Context, a, b string, opts gds.ReadOptions) ([2]*gds.Library, error) {
	var libs [2]*gds.Library
	var errs [2]error
	var wg sync.WaitGroup
	for i, p := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			libs[i], errs[i] = gds.ReadFileContext(ctx, p, opts)
		}()
	}
	wg.Wait()
	return libs, errors.Join(errs[0], errs[1])
}

// subsetFile returns a layout file holding the cells of the pairs on one
// side (A: side 0) and every cell below them: the file itself when that is
// all of it, else a new file in dir written from a whole read of it.
func subsetFile(ctx context.Context, path, dir string, lib *gds.Library, roots []string, side string) (string, error) {
	keep := closure(lib, roots)
	all := true
	for _, c := range lib.Cells {
		if !c.Ghost && !keep[c.Name] {
			all = false
			break
		}
	}
	if all {
		return path, nil
	}
	full, err := gds.ReadFileContext(ctx, path, gds.ReadOptions{})
	if err != nil {
		return "", err
	}
	sub := *full
	sub.Cells, sub.Context, sub.Extra, sub.Warnings = nil, nil, nil, nil
	for _, c := range full.Cells {
		if keep[c.Name] && !c.Ghost {
			sub.Cells = append(sub.Cells, c)
		}
	}
	out := filepath.Join(dir, side+".gds")
	if err := gds.WriteFile(out, &sub); err != nil {
		return "", fmt.Errorf("write the cells to compare: %w", err)
	}
	return out, nil
}

// closure returns the names of the cells given and every defined cell
// below them.
func closure(lib *gds.Library, roots []string) map[string]bool {
	keep := map[string]bool{}
	var stack []string
	for _, r := range roots {
		if r != "" && !keep[r] && lib.Cell(r) != nil {
			keep[r] = true
			stack = append(stack, r)
		}
	}
	for len(stack) > 0 {
		c := lib.Cell(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		for _, ch := range c.Children() {
			if !keep[ch] && lib.Cell(ch) != nil {
				keep[ch] = true
				stack = append(stack, ch)
			}
		}
	}
	return keep
}

// tempDir makes a private temporary folder; the caller removes it.
func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "lywatch-xor-")
	if err != nil {
		return "", fmt.Errorf("geometric diff: %w", err)
	}
	return d, nil
}

// emptyRDB is a report database with nothing in it: what replaces the last
// one in KLayout when the layouts have the same geometry.
const emptyRDB = `<?xml version="1.0" encoding="utf-8"?>
<report-database>
 <description>lywatch diff: the same geometry</description>
 <generator>lywatch</generator>
 <categories>
 </categories>
 <cells>
 </cells>
 <items>
 </items>
</report-database>
`

// writeEmptyRDB writes emptyRDB to path.
func writeEmptyRDB(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("report database: %w", err)
	}
	if err := os.WriteFile(path, []byte(emptyRDB), 0o644); err != nil {
		return fmt.Errorf("report database: %w", err)
	}
	return nil
}
