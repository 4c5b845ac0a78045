package gds

import (
	"math"
	"sort"
)

// ContextCellName is the name of the cell in which KLayout (and kfactory)
// store per-cell and per-library metadata. It is not a user cell: the reader
// takes it out of Library.Cells and decodes it into Library.Meta and Cell.Meta.
const ContextCellName = "$$$CONTEXT_INFO$$$"

// Point is a point in database units.
type Point struct{ X, Y int32 }

// Kind is the kind of a shape element.
type Kind uint8

// Shape kinds, one per GDSII element other than SREF and AREF.
const (
	Boundary Kind = iota + 1
	Path
	Text
	Node
	Box
)

var kindNames = [...]string{"invalid", "boundary", "path", "text", "node", "box"}

// String returns the kind in lower case, e.g. "boundary".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

func (k Kind) record() RecordType {
	return [...]RecordType{0, recBOUNDARY, recPATH, recTEXT, recNODE, recBOX}[k]
}

func (k Kind) typeRecord() RecordType {
	return [...]RecordType{0, recDATATYPE, recDATATYPE, recTEXTTYPE, recNODETYPE, recBOXTYPE}[k]
}

// Property is one PROPATTR/PROPVALUE pair of an element.
type Property struct {
	Attr  int16
	Value string
}

// Strans is an element's STRANS, MAG and ANGLE records.
type Strans struct {
	Flags    uint16  // the STRANS bits: 0x8000 reflect about x before rotating, 0x0004 absolute mag, 0x0002 absolute angle
	Mag      float64 // magnification when HasMag
	Angle    float64 // rotation counterclockwise in degrees when HasAngle
	HasMag   bool
	HasAngle bool
}

func (s Strans) present() bool { return s.Flags != 0 || s.HasMag || s.HasAngle }

// magnification returns the magnification, 1 when none is given.
func (s Strans) magnification() float64 {
	if s.HasMag {
		return s.Mag
	}
	return 1
}

// normAngle returns the rotation in [0, 360).
func (s Strans) normAngle() float64 {
	if !s.HasAngle {
		return 0
	}
	a := math.Mod(s.Angle, 360)
	if a < 0 {
		a += 360
	}
	if a >= 360 || a == 0 { // also folds -0
		a = 0
	}
	return a
}

// Attrs holds the attributes only some shapes have. Paths and texts use it;
// boundaries, nodes and boxes only when they carry ELFLAGS or PLEX.
type Attrs struct {
	Width        int32 // PATH, TEXT: WIDTH (negative: absolute)
	PathType     int16 // PATH, TEXT: PATHTYPE
	BgnExtn      int32 // PATH: BGNEXTN (pathtype 4)
	EndExtn      int32 // PATH: ENDEXTN (pathtype 4)
	Presentation uint16
	String       string // TEXT: STRING
	Strans       Strans // TEXT
	ElFlags      uint16
	Plex         int32

	HasWidth, HasPathType, HasBgnExtn, HasEndExtn, HasPresentation, HasElFlags, HasPlex bool
}

// Shape is one BOUNDARY, PATH, TEXT, NODE or BOX element.
type Shape struct {
	Kind  Kind
	Layer int16
	// Type is the DATATYPE, TEXTTYPE, NODETYPE or BOXTYPE.
	Type  int16
	XY    []Point
	Props []Property
	Attrs *Attrs // nil for a plain boundary, node or box
}

// Ref is an SREF (Cols == 0) or AREF element: a placement of the cell Name.
type Ref struct {
	Name   string
	Origin Point
	Strans Strans
	// Cols and Rows are the AREF's COLROW; both 0 for an SREF.
	Cols, Rows int16
	// ColEnd and RowEnd are the AREF's second and third XY points: Origin
	// displaced by Cols column steps and by Rows row steps.
	ColEnd, RowEnd Point
	Props          []Property
	ElFlags        uint16
	Plex           int32
	HasElFlags     bool
	HasPlex        bool

	offset int64 // of the SREF/AREF record, for errors
}

// IsArray reports whether r is an AREF.
func (r *Ref) IsArray() bool { return r.Cols != 0 || r.Rows != 0 }

// Cell is one structure of the library.
type Cell struct {
	Name   string
	Shapes []Shape
	Refs   []Ref
	// Ghost is true for a cell the file places (by SREF or AREF) but never
	// defines. KLayout reads such a reference as a ghost cell, an empty cell
	// of that name flagged as a ghost (Cell.is_ghost_cell), and so does
	// lywatch: the reader adds one empty Cell with Ghost set per undefined
	// name, after the defined cells, and a Warning for its first reference.
	// A ghost cell is not written (as KLayout does not write it) and hashes
	// by its name (see Library.Hashes).
	Ghost bool
	// Meta is the metadata that KLayout's $$$CONTEXT_INFO$$$ cell carries for
	// this cell, such as "kfactory:settings:function_name" -> "straight";
	// nil when there is none.
	Meta map[string]string
	// Times are the BGNSTR's creation and modification dates (year, month,
	// day, hour, minute, second twice), written back as read.
	Times [12]int16

	// summary state, set when read with ReadOptions.HashOnly
	numShapes int
	summary   *cellSummary
	offset    int64
}

// NumShapes returns the number of shapes of the cell (also when it was read
// with ReadOptions.HashOnly, which drops the shapes themselves).
func (c *Cell) NumShapes() int {
	if c.summary != nil {
		return c.numShapes
	}
	return len(c.Shapes)
}

// Children returns the names of the cells c places, sorted and unique.
func (c *Cell) Children() []string {
	seen := make(map[string]bool, len(c.Refs))
	var out []string
	for i := range c.Refs {
		n := c.Refs[i].Name
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// RawRecord is a library-level record kept verbatim (REFLIBS, FONTS,
// ATTRTABLE, GENERATIONS, FORMAT, MASK, ...), written back as read.
type RawRecord struct {
	Type RecordType
	Data []byte
}

// Library is a whole GDSII stream: its header and its cells.
type Library struct {
	Name    string
	Version int16
	// Times are the BGNLIB's modification and access dates.
	Times [12]int16
	// UserUnit is the first value of the UNITS record: the size of a database
	// unit in user units (0.001 for 1 nm in µm).
	UserUnit float64
	// DBU is the second value of the UNITS record: the size of a database unit
	// in metres (1e-9 for 1 nm).
	DBU float64
	// Cells are the user cells in file order, then the ghost cells (placed
	// but never defined, see Cell.Ghost) in the order of their first
	// reference; $$$CONTEXT_INFO$$$ is not one.
	Cells []*Cell
	// Meta is library-wide metadata from the context cell (KLayout stores it
	// as properties of a boundary there), such as
	// "kfactory:settings:version" -> "0.13.1".
	Meta map[string]string
	// Context is the $$$CONTEXT_INFO$$$ cell as read, written back unchanged
	// (less references to cells no longer in Cells); nil if there is none.
	Context *Cell
	// Extra holds library-level records other than HEADER, BGNLIB, LIBNAME,
	// UNITS and ENDLIB.
	Extra []RawRecord
	// Warnings are what the reader skipped or tolerated (unknown records,
	// references to undefined cells read as ghost cells), in stream order.
	Warnings []Warning

	index map[string]*Cell
}

// Ghosts returns the names of the ghost cells (cells placed but never
// defined; see Cell.Ghost), sorted; nil when there are none.
func (l *Library) Ghosts() []string {
	var out []string
	for _, c := range l.Cells {
		if c.Ghost {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// DBUMicrons returns the database unit in micrometres, as KLayout shows it.
func (l *Library) DBUMicrons() float64 { return l.DBU * 1e6 }

// Cell returns the cell called name, or nil. A name that is not in the
// library costs a pass over all cells (the index is rebuilt in case Cells
// changed), so code that looks up many names builds its own map (byName).
func (l *Library) Cell(name string) *Cell {
	if c := l.index[name]; c != nil && c.Name == name && len(l.index) == len(l.Cells) {
		return c
	}
	l.reindex()
	return l.index[name]
}

func (l *Library) reindex() { l.index = l.byName() }

// byName returns a new map of the cells by name.
func (l *Library) byName() map[string]*Cell {
	m := make(map[string]*Cell, len(l.Cells))
	for _, c := range l.Cells {
		m[c.Name] = c
	}
	return m
}

// TopCells returns the names of the cells no other cell places, sorted.
func (l *Library) TopCells() []string {
	placed := make(map[string]bool)
	for _, c := range l.Cells {
		for i := range c.Refs {
			placed[c.Refs[i].Name] = true
		}
	}
	var out []string
	for _, c := range l.Cells {
		if !placed[c.Name] {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// detach gives the cell's shapes points of their own (off the parser's slab).
func (c *Cell) detach() {
	c.Shapes = append([]Shape(nil), c.Shapes...)
	for i := range c.Shapes {
		c.Shapes[i].XY = append([]Point(nil), c.Shapes[i].XY...)
	}
}
