package pipeline

import (
	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/gds"
)

// FactoryRule returns the rule that names the factory that made a cell,
// for pairing a parameterised cell renamed with its parameters with its
// old name (gds.DiffOptions.Factory, geomdiff.Options.Factory): the
// factory kfactory's metadata names, else the one the NAME.cells.json
// beside one of the layouts names, matched to the project's factories by
// the graph's rule (depgraph.Graph.FactoryOf: the one rule lywatch has
// for it). With no graph, or no factory of the project matching, the
// metadata or the sidecar file decides alone.
func FactoryRule(g *depgraph.Graph, layouts ...string) func(name string, meta map[string]string) string {
	side := map[string]string{}
	for _, l := range layouts {
		for cell, f := range sidecarFactories(l) {
			if side[cell] == "" {
				side[cell] = f
			}
		}
	}
	return func(name string, meta map[string]string) string {
		f := gds.FactoryFromMeta(name, meta)
		if f == "" {
			f = side[name]
		}
		if g == nil {
			return f
		}
		if gf := g.FactoryOf(depgraph.CellInfo{Name: name, Factory: f}); gf != "" {
			return gf
		}
		return f
	}
}
