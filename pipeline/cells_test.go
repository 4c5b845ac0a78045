package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lywatch/lywatch/gds"
)

// TestLayoutCellsFactory: the graph's cells name the factory the one rule
// (gds.FactoryFromMeta) reads from the metadata, else the one the
// .cells.json beside the layout names.
func TestLayoutCellsFactory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chip.gds")
	if err := os.WriteFile(filepath.Join(dir, "chip.cells.json"), []byte(`{"cells": {"c": {"function_name": "side"}, "a": {"function_name": "nope"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := &gds.Library{Name: "LIB", UserUnit: 1e-3, DBU: 1e-9, Cells: []*gds.Cell{
		{Name: "a", Meta: map[string]string{"kfactory:basename": "mmi", "kfactory:function_name": "mmi1x2"}},
		{Name: "b", Meta: map[string]string{"kfactory:function_name": "bend"}},
		{Name: "c"},
		{Name: "d"},
	}}
	want := map[string]string{"a": "mmi", "b": "bend", "c": "side", "d": ""}
	for _, c := range layoutCells(lib, path) {
		if c.Factory != want[c.Name] {
			t.Errorf("cell %s: factory %q, want %q", c.Name, c.Factory, want[c.Name])
		}
	}
}
