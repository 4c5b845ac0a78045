package pipeline

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/gds"
)

// ReadLayoutCells reads a layout file's cells as the graph knows them
// (see layoutCells): what `lywatch graph --layout` and `why` add.
func ReadLayoutCells(path string) ([]depgraph.CellInfo, error) {
	lib, err := gds.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return layoutCells(lib, path), nil
}

// layoutCells turns a read layout into the graph's cells: their children
// and the factory each came from as the layout says it: its metadata
// (gds.FactoryFromMeta), else a NAME.cells.json beside the layout file
// ({"cells": {cell: {"function_name": ...}}}, written by builds on KLayout
// versions that cannot store per-cell metadata). Where neither names one,
// the graph's own rule decides (depgraph.Graph.FactoryOf).
func layoutCells(lib *gds.Library, path string) []depgraph.CellInfo {
	side := sidecarFactories(path)
	cells := make([]depgraph.CellInfo, 0, len(lib.Cells))
	for _, c := range lib.Cells {
		ci := depgraph.CellInfo{Name: c.Name, Children: c.Children(), Factory: gds.FactoryFromMeta(c.Name, c.Meta)}
		if ci.Factory == "" {
			ci.Factory = side[c.Name]
		}
		cells = append(cells, ci)
	}
	return cells
}

// sidecarFactories reads the cell → factory names of the .cells.json
// beside a layout, if there is one.
func sidecarFactories(path string) map[string]string {
	side := map[string]string{}
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".gds")
	b, err := os.ReadFile(base + ".cells.json")
	if err != nil {
		return side
	}
	var sc struct {
		Cells map[string]struct {
			FunctionName string `json:"function_name"`
		} `json:"cells"`
	}
	if json.Unmarshal(b, &sc) == nil {
		for name, c := range sc.Cells {
			side[name] = c.FunctionName
		}
	}
	return side
}
