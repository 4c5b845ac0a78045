package depgraph

import "strings"

// nameIndex links code to what it names without resolving it: an
// attribute `x.m` of something unresolved (an instance, a parameter) to
// every method called m of every class, and a string literal "f" to every
// top-level def, class and binding called f (`get_component("f")`).
// Targets (methods, defs, bindings) and users register under a key:
// "."+name for attributes, "'"+name for strings. An edge joins every user
// to every target of its key, whichever appeared first, so the edges
// never depend on the order of scans and updates.
type nameIndex struct {
	targets map[string][]*node
	users   map[string]map[*node]struct{}
}

func (x *nameIndex) reset() {
	x.targets = map[string][]*node{}
	x.users = map[string]map[*node]struct{}{}
}

// targetKey is the key a method, def, class or binding node answers to
// ("" for other nodes).
func targetKey(n *node) string {
	switch n.kind {
	case kindMethod:
		return "." + n.short[strings.LastIndexByte(n.short, '.')+1:]
	case kindDef, kindBinding:
		return "'" + n.short
	}
	return ""
}

// addTarget registers n and joins the users of its key to it.
func (g *Graph) addTarget(n *node) {
	key := targetKey(n)
	if key == "" {
		return
	}
	g.names.targets[key] = append(g.names.targets[key], n)
	for u := range g.names.users[key] {
		addEdge(u, n, edgeRef)
	}
}

// dropTarget unregisters n (its edges go with the node).
func (g *Graph) dropTarget(n *node) {
	key := targetKey(n)
	ts := g.names.targets[key]
	for i, t := range ts {
		if t == n {
			ts = append(ts[:i:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(g.names.targets, key)
	} else {
		g.names.targets[key] = ts
	}
}

// use registers n as a user of key and joins it to the key's targets.
func (g *Graph) use(n *node, key string) {
	us := g.names.users[key]
	if us == nil {
		us = map[*node]struct{}{}
		g.names.users[key] = us
	}
	if _, ok := us[n]; ok {
		return
	}
	us[n] = struct{}{}
	n.uses = append(n.uses, key)
	for _, t := range g.names.targets[key] {
		addEdge(n, t, edgeRef)
	}
}

// dropUses unregisters n as a user of every key.
func (g *Graph) dropUses(n *node) {
	for _, key := range n.uses {
		if us := g.names.users[key]; us != nil {
			delete(us, n)
			if len(us) == 0 {
				delete(g.names.users, key)
			}
		}
	}
	n.uses = nil
}

// useAttrs registers n as a user of each attribute in the dotted rest
// ("a.b.c(" uses a, b and c); when only the call counts (top-level code),
// of the last one alone and only if it is called.
func (g *Graph) useAttrs(n *node, rest string, callOnly bool) {
	called := strings.HasSuffix(rest, "(")
	rest = strings.TrimSuffix(rest, "(")
	if callOnly {
		if called {
			g.use(n, "."+rest[strings.LastIndexByte(rest, '.')+1:])
		}
		return
	}
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ".")
		g.use(n, "."+part)
	}
}
