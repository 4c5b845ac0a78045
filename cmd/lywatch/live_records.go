package main

import (
	"path"
	"path/filepath"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/session"
)

// graphRecords flattens the graph into the session's plain records: the
// hash of every function, the factories with their files, and the edges,
// with files named by their root-relative path and factories and cells by
// their bare names, as session.Manifest.Stale follows them.
func graphRecords(g *depgraph.Graph, root string) (map[string]string, map[string]session.Factory, []session.Edge) {
	rel := func(p string) string {
		r, err := session.RelPath(root, filepath.Join(g.Dir(), filepath.FromSlash(p)))
		if err != nil {
			return p
		}
		return r
	}
	functions := map[string]string{}
	factories := map[string]session.Factory{}
	for _, fi := range g.Files() {
		for _, d := range fi.Defs {
			functions[fi.Module+"."+d.Name] = d.Hash
			if d.Factory {
				factories[d.Name] = session.Factory{Hash: d.Hash, File: rel(fi.Path)}
			}
		}
	}
	nodes := g.Nodes()
	names := make(map[string]string, len(nodes))
	for _, n := range nodes {
		switch n.Kind {
		case "module":
			names[n.ID] = rel(n.File)
		case "factory":
			names[n.ID] = path.Ext("." + n.Name)[1:]
		default:
			names[n.ID] = n.Name
		}
	}
	var edges []session.Edge
	for _, n := range nodes {
		for _, d := range n.Deps {
			if to, ok := names[d.To]; ok {
				edges = append(edges, session.Edge{From: names[n.ID], To: to, Kind: d.Kind})
			}
		}
	}
	return functions, factories, edges
}
