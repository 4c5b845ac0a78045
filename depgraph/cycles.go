package depgraph

import "sort"

// Cycles returns the import cycles between project modules: each is the
// sorted module names of one strongly connected component of the
// module-level import edges. Python tolerates many such cycles; lywatch
// handles them (the closure visits each node once) and reports them.
func (g *Graph) Cycles() [][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cycles == nil {
		g.cycles = g.findCycles()
	}
	out := make([][]string, len(g.cycles))
	for i, c := range g.cycles {
		out[i] = append([]string(nil), c...)
	}
	return out
}

// findCycles runs Tarjan's algorithm over the module import edges.
func (g *Graph) findCycles() [][]string {
	var mods []*node
	for _, n := range g.nodes {
		if n.kind == kindModule {
			mods = append(mods, n)
		}
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].id < mods[j].id })
	t := &tarjan{index: map[*node]int{}, low: map[*node]int{}, on: map[*node]bool{}}
	for _, n := range mods {
		if _, seen := t.index[n]; !seen {
			t.visit(n)
		}
	}
	sort.Slice(t.out, func(i, j int) bool { return t.out[i][0] < t.out[j][0] })
	if t.out == nil {
		t.out = [][]string{}
	}
	return t.out
}

type tarjan struct {
	next  int
	index map[*node]int
	low   map[*node]int
	on    map[*node]bool
	stack []*node
	out   [][]string
}

func importsOf(n *node) []*node {
	var out []*node
	for d, k := range n.deps {
		if k == edgeImport && d.kind == kindModule {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// visit is Tarjan's algorithm; module graphs are shallow enough for
// recursion (depth is bounded by the number of modules).
func (t *tarjan) visit(n *node) {
	t.index[n], t.low[n] = t.next, t.next
	t.next++
	t.stack = append(t.stack, n)
	t.on[n] = true
	for _, d := range importsOf(n) {
		if _, seen := t.index[d]; !seen {
			t.visit(d)
			t.low[n] = min(t.low[n], t.low[d])
		} else if t.on[d] {
			t.low[n] = min(t.low[n], t.index[d])
		}
	}
	if t.low[n] != t.index[n] {
		return
	}
	var comp []string
	for {
		m := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.on[m] = false
		comp = append(comp, m.name)
		if m == n {
			break
		}
	}
	if len(comp) > 1 {
		sort.Strings(comp)
		t.out = append(t.out, comp)
	}
}

// cyclesTouching returns the import cycles that contain an invalidated
// module or a module of a changed file.
func (g *Graph) cyclesTouching(inv *Invalidation) [][]string {
	hit := map[string]bool{}
	for id, n := range inv.nodes {
		if n.kind() == kindModule {
			hit[id[len("mod:"):]] = true
		}
	}
	for _, f := range inv.Files {
		if fi := g.files[f]; fi != nil {
			hit[fi.Module] = true
		}
	}
	var out [][]string
	if g.cycles == nil {
		g.cycles = g.findCycles()
	}
	for _, c := range g.cycles {
		for _, m := range c {
			if hit[m] {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
