package pipeline

import (
	"sort"
	"strings"

	"github.com/lywatch/lywatch/session"
)

// dependencies says which target's last good layout uses which others'.
func (p *Pipeline) dependencies() session.Dependencies { return dependencies(p.layouts) }

// dependencies says which target's layout uses which others': A uses B
// when a top cell of B's layout is a cell of A's.
func dependencies(layouts map[string]layoutState) session.Dependencies {
	deps := session.Dependencies{}
	for a, la := range layouts {
		deps[a] = nil
		for b, lb := range layouts {
			if a == b {
				continue
			}
			for _, top := range lb.tops {
				if _, ok := la.deep[top]; ok {
					deps[a] = append(deps[a], b)
					break
				}
			}
		}
		sort.Strings(deps[a])
	}
	return deps
}

// order returns the keys given in build order (see buildOrder), ties in
// configuration order.
func (p *Pipeline) order(keys []string) []string {
	order, cycle := buildOrder(p.configOrder(keys), p.dependencies())
	if cycle != nil {
		p.logf("the layouts of these targets place each other: %s; building them in configuration order", strings.Join(cycle, " -> "))
	}
	return order
}

// configOrder sorts target keys by their place in the configuration.
func (p *Pipeline) configOrder(keys []string) []string {
	rank := map[string]int{}
	for i, k := range p.keys() {
		rank[k] = i
	}
	out := append([]string(nil), keys...)
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i]] < rank[out[j]] })
	return out
}

// buildOrder is the one build order of targets: each after the targets
// whose last good layouts it places (deps), otherwise in the order of
// keys. Only the keys given are returned. Targets whose layouts place each
// other in a cycle keep the order of keys; cycle names one such cycle.
func buildOrder(keys []string, deps session.Dependencies) (order, cycle []string) {
	want := map[string]int{}
	for i, k := range keys {
		want[k] = i + 1
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(k string)
	visit = func(k string) {
		switch state[k] {
		case done:
			return
		case active:
			if cycle == nil {
				i := len(stack) - 1
				for i > 0 && stack[i] != k {
					i--
				}
				cycle = append(append([]string(nil), stack[i:]...), k)
			}
			return
		}
		state[k] = active
		stack = append(stack, k)
		uses := append([]string(nil), deps[k]...)
		sort.SliceStable(uses, func(i, j int) bool { return rank(want, uses[i]) < rank(want, uses[j]) })
		for _, u := range uses {
			visit(u)
		}
		stack = stack[:len(stack)-1]
		state[k] = done
		if want[k] > 0 {
			order = append(order, k)
		}
	}
	for _, k := range keys {
		visit(k)
	}
	return order, cycle
}

// rank places keys given first, in their order, and others after them.
func rank(want map[string]int, k string) int {
	if r := want[k]; r > 0 {
		return r
	}
	return len(want) + 1
}
