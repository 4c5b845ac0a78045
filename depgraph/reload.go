package depgraph

import (
	"sort"
	"strings"
)

// Reload returns the project modules that an interpreter kept between
// builds (a warm worker) must not take from memory after inv: the modules
// of the Python files that changed, appeared or went away, the modules
// whose top-level code inv invalidated, and every module that imports one
// of these at its top level, transitively. Sorted.
func (g *Graph) Reload(inv *Invalidation) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	seen := map[string]bool{}
	var queue []string
	add := func(m string) {
		if m != "" && !seen[m] {
			seen[m] = true
			queue = append(queue, m)
		}
	}
	for _, f := range inv.Files {
		if strings.HasSuffix(f, ".py") {
			add(g.moduleName(g.abs(f)))
		}
	}
	for _, m := range inv.Modules {
		add(m)
	}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		n := g.nodes[moduleID(m)]
		if n == nil {
			continue
		}
		for r, k := range n.rdeps {
			if k == edgeImport && r.kind == kindModule {
				add(r.name)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// FileHash returns the hex SHA-256 of a file's content as the graph last
// read it: a Python source or a data file of the graph, by path; "" when
// the graph holds none for it.
func (g *Graph) FileHash(path string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := g.rel(path)
	if key == "" {
		return ""
	}
	if fi := g.files[key]; fi != nil {
		return fi.Hash
	}
	if d := g.data[key]; d != nil {
		return d.hash
	}
	return ""
}
