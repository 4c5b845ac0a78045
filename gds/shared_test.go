package gds

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// sharedTable is the table in ../shared/testdata/gds/README.md: what
// KLayout 0.28.5 counts in each file, without $$$CONTEXT_INFO$$$.
type sharedRow struct {
	file      string
	cells     int
	top       []string // nil: several, not listed
	shapes    int
	instances int
	dbuMicron float64
}

var sharedTable = []sharedRow{
	{"gdsfactory_alphabet_3top_cells.gds", 3, []string{"A", "B", "C"}, 3, 0, 0.001},
	{"gdsfactory_mmi1x2.gds", 1, []string{"mmi1x2_gds"}, 12, 0, 0.001},
	{"gdsfactory_mzi2x2.gds", 10, []string{"mzi_6f76ede3"}, 12, 20, 0.001},
	{"gdsfactory_small_rect.gds", 1, []string{"TOP"}, 1, 0, 0.001},
	{"gdsfactory_straight.gds", 1, []string{"straight_L1p234_N2_CSxs_sc"}, 1, 0, 0.001},
	{"gdspy_fonts.gds", 1, []string{"TXT"}, 14, 0, 0.001},
	{"gdspy_photonics.gds", 7, []string{"Negative", "Positive"}, 129, 12, 0.001},
	{"gdspy_test.gds", 15, nil, 379, 0, 0.1},
	{"gdstk_proof_lib.gds", 6, nil, 160, 0, 1e-06},
	{"gogds_klayout_test.gds", 4, []string{"top"}, 25, 12, 0.001},
}

func TestSharedFilesMatchTable(t *testing.T) {
	dir := testsupport.SharedGDSDir(t)
	for _, tt := range sharedTable {
		t.Run(tt.file, func(t *testing.T) {
			for _, hashOnly := range []bool{false, true} {
				lib, err := ReadFileContext(t.Context(), filepath.Join(dir, tt.file), ReadOptions{HashOnly: hashOnly})
				if err != nil {
					t.Fatal(err)
				}
				shapes, inst := 0, 0
				for _, c := range lib.Cells {
					shapes += c.NumShapes()
					inst += len(c.Refs)
				}
				if len(lib.Cells) != tt.cells || shapes != tt.shapes || inst != tt.instances {
					t.Errorf("hashOnly=%v: %d cells, %d shapes, %d instances; want %d, %d, %d",
						hashOnly, len(lib.Cells), shapes, inst, tt.cells, tt.shapes, tt.instances)
				}
				if tt.top != nil && !slices.Equal(lib.TopCells(), tt.top) {
					t.Errorf("top cells %v, want %v", lib.TopCells(), tt.top)
				}
				if d := lib.DBUMicrons(); d < tt.dbuMicron*(1-1e-9) || d > tt.dbuMicron*(1+1e-9) {
					t.Errorf("dbu %g µm, want %g", d, tt.dbuMicron)
				}
				if _, err := lib.Hashes(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestAllSharedFilesAreInTable(t *testing.T) {
	for _, f := range testsupport.SharedGDSFiles(t) {
		name := filepath.Base(f)
		if !slices.ContainsFunc(sharedTable, func(e sharedRow) bool { return e.file == name }) {
			t.Errorf("%s is not in the test's table", name)
		}
	}
}

func TestContextMetadata(t *testing.T) {
	dir := testsupport.SharedGDSDir(t)
	lib, err := ReadFile(filepath.Join(dir, "gdsfactory_straight.gds"))
	if err != nil {
		t.Fatal(err)
	}
	c := lib.Cell("straight_L1p234_N2_CSxs_sc")
	if c == nil {
		t.Fatal("cell missing")
	}
	want := map[string]string{
		"kfactory:settings:function_name": "straight",
		"kfactory:settings:npoints":       "2",
		"kfactory:settings:length":        "1.234",
		"kfactory:ports:1:layer":          "[layer:1/0]",
		"kfactory:info:length":            "1.234",
	}
	for k, v := range want {
		if got := c.Meta[k]; got != v {
			t.Errorf("Meta[%q] = %q, want %q", k, got, v)
		}
	}
	if got := lib.Meta["kfactory:settings:version"]; got != "0.13.1" {
		t.Errorf("library meta version = %q", got)
	}
	if lib.Cell(ContextCellName) != nil || lib.Context == nil {
		t.Error("context cell must not be a user cell but be kept")
	}
	if strings.Contains(strings.Join(lib.TopCells(), ","), "$$$") {
		t.Error("context cell among top cells")
	}
}
