package depgraph

import (
	"fmt"
	"sort"
)

// Invalidation is what an update invalidates. The lists are sorted.
type Invalidation struct {
	Files     []string   // changed, new and deleted files (slash paths relative to Dir)
	Changed   []string   // the nodes whose own code changed, appeared or went away
	Modules   []string   // modules whose top-level code is invalidated
	Functions []string   // qualified names (module.name) of invalidated defs and classes
	Factories []string   // bare names of invalidated factories (for LYWATCH_INVALIDATED)
	Cells     []string   // names of invalidated cells, over all targets
	Targets   []string   // targets to rebuild
	Packages  []string   // installed packages whose distribution or version changed (top-level modules)
	Errors    []string   // files that did not scan: "path:line: message"
	Notes     []string   // files tracked by their hash only (over the size limit)
	Cycles    [][]string // import cycles among the invalidated modules

	nodes map[string]*invNode // by node id
}

// invNode is one invalidated node and how it was reached.
type invNode struct {
	n      *node    // kept even when the update removes it from the graph
	names  []string // names Explain finds it by, made when first asked
	parent string   // id of the node it was reached from ("" for a seed)
	edge   edgeKind // the edge from this node to its parent
	reason string   // for a seed: what changed, starting with the file
}

func newInvNode(n *node, parent string, edge edgeKind, reason string) *invNode {
	return &invNode{n: n, parent: parent, edge: edge, reason: reason}
}

func (x *invNode) label() string  { return x.n.label() }
func (x *invNode) kind() nodeKind { return x.n.kind }

// nameList returns the names Explain finds the node by.
func (x *invNode) nameList() []string {
	if x.names == nil {
		x.names = nodeNames(x.n)
	}
	return x.names
}

func newInvalidation() *Invalidation {
	return &Invalidation{nodes: map[string]*invNode{}}
}

// Empty reports whether nothing was invalidated.
func (inv *Invalidation) Empty() bool {
	return len(inv.Changed) == 0 && len(inv.Targets) == 0 && len(inv.Modules) == 0
}

// Stale reports whether the node with this name (as Explain takes it) is
// invalidated.
func (inv *Invalidation) Stale(name string) bool { return inv.find(name) != "" }

func (inv *Invalidation) find(name string) string {
	for _, pre := range []string{"target:", "cell:", "factory:", "def:", "mod:", "file:", "pkg:"} {
		best := ""
		for id, n := range inv.nodes {
			for _, nm := range n.nameList() {
				if nm == pre+name && (best == "" || id < best) {
					best = id
				}
			}
		}
		if best != "" {
			return best
		}
	}
	return ""
}

// Explain returns the chain that invalidated name (a target, cell,
// factory, qualified function or method, module, file path or package),
// from the edit to the node, one step a line; nil when name is not
// invalidated.
func (inv *Invalidation) Explain(name string) []string {
	id := inv.find(name)
	if id == "" {
		return nil
	}
	var chain []*invNode
	for id != "" && len(chain) <= len(inv.nodes) {
		n := inv.nodes[id]
		chain = append(chain, n)
		id = n.parent
	}
	out := []string{chain[len(chain)-1].reason}
	for i := len(chain) - 2; i >= 0; i-- {
		out = append(out, fmt.Sprintf("%s %s %s", chain[i].label(), verb(chain[i].edge), chain[i+1].label()))
	}
	return out
}

func verb(k edgeKind) string {
	switch k {
	case edgeInModule:
		return "runs in the namespace of"
	case edgeRef:
		return "uses"
	case edgeImport:
		return "imports"
	case edgeMadeBy:
		return "was made by"
	case edgeContains:
		return "contains"
	case edgeUsesCell:
		return "has cells that contain"
	case edgeEntry:
		return "runs"
	case edgeReads:
		return "reads"
	case edgeMayRead:
		return "may read"
	}
	return "depends on"
}

func nodeNames(n *node) []string {
	switch n.kind {
	case kindModule:
		return []string{"mod:" + n.name, "file:" + n.path}
	case kindDef:
		names := []string{"def:" + n.name}
		if n.factory() {
			names = append(names, "factory:"+n.short)
		} else {
			names = append(names, "def:"+n.short)
		}
		return names
	case kindMethod, kindBinding:
		return []string{"def:" + n.name, "def:" + n.short}
	case kindFile:
		return []string{"file:" + n.name}
	case kindPackage:
		return []string{"pkg:" + n.name}
	case kindCell:
		return []string{"cell:" + n.name}
	}
	return []string{"target:" + n.name}
}

// seed is a node whose own code changed, with the reason.
type seed struct {
	n      *node
	reason string
}

// closure marks seeds and everything that depends on them, breadth first
// so each node keeps a shortest chain to an edit.
func (inv *Invalidation) closure(seeds []seed) {
	var queue []*node
	for _, s := range seeds {
		if inv.nodes[s.n.id] != nil {
			continue
		}
		inv.nodes[s.n.id] = newInvNode(s.n, "", 0, s.reason)
		inv.Changed = append(inv.Changed, s.n.label())
		queue = append(queue, s.n)
	}
	inv.spread(queue)
}

// reach marks nodes as reached from the invalidated node from, by an edge
// of kind k, and everything that depends on them.
func (inv *Invalidation) reach(from *node, nodes []*node, k edgeKind) {
	var queue []*node
	for _, n := range nodes {
		if inv.nodes[n.id] == nil {
			inv.nodes[n.id] = newInvNode(n, from.id, k, "")
			queue = append(queue, n)
		}
	}
	inv.spread(queue)
}

// spread marks, breadth first, what depends on the nodes of queue.
func (inv *Invalidation) spread(queue []*node) {
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		rs := make([]*node, 0, len(n.rdeps))
		for r := range n.rdeps {
			if inv.nodes[r.id] == nil {
				rs = append(rs, r)
			}
		}
		if len(rs) > 1 {
			sort.Slice(rs, func(i, j int) bool { return rs[i].id < rs[j].id })
		}
		for _, r := range rs {
			inv.nodes[r.id] = newInvNode(r, n.id, n.rdeps[r], "")
			queue = append(queue, r)
		}
	}
}

// finish fills the name lists from the invalidated nodes.
func (inv *Invalidation) finish() {
	facts := map[string]bool{}
	cells := map[string]bool{}
	for _, x := range inv.nodes {
		n := x.n
		switch n.kind {
		case kindModule:
			inv.Modules = append(inv.Modules, n.name)
		case kindDef, kindMethod:
			inv.Functions = append(inv.Functions, n.name)
			if n.factory() {
				facts[n.short] = true
			}
		case kindCell:
			cells[n.name] = true
		case kindTarget:
			inv.Targets = append(inv.Targets, n.name)
		}
	}
	for f := range facts {
		inv.Factories = append(inv.Factories, f)
	}
	for c := range cells {
		inv.Cells = append(inv.Cells, c)
	}
	for _, l := range [][]string{inv.Files, inv.Changed, inv.Modules, inv.Functions, inv.Factories, inv.Cells, inv.Targets, inv.Packages, inv.Errors, inv.Notes} {
		sort.Strings(l)
	}
}

// Summary is a short count for the cycle's summary line, such as
// "3 factories, 7 cells invalidated".
func (inv *Invalidation) Summary() string {
	return fmt.Sprintf("%s, %s invalidated", count(len(inv.Factories), "factory", "factories"), count(len(inv.Cells), "cell", "cells"))
}

// count says n things in the right number.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
