package session

import (
	"fmt"
	"sort"
	"strings"
)

// depsFormat names the dependencies file's sealed format.
const depsFormat = "lywatch-session-dependencies"

// Dependencies maps each target to the targets whose layouts its layout
// uses (like kfactory's kcl_dependencies.json).
type Dependencies map[string][]string

// CycleError reports targets whose layouts use each other in a cycle.
type CycleError struct {
	// Cycle lists the targets around the cycle, the first repeated at the end.
	Cycle []string
}

// Error names the cycle.
func (e *CycleError) Error() string {
	return "session: dependency cycle between targets: " + strings.Join(e.Cycle, " -> ")
}

// Order returns every target named in d (as a key or a dependency) so that
// each comes after the targets it uses; ties go by name. When the targets
// form a cycle it still returns every target (those on cycles by name, after
// the others they use) and a *CycleError naming one cycle.
func (d Dependencies) Order() ([]string, error) {
	names := map[string]bool{}
	for t, uses := range d {
		names[t] = true
		for _, u := range uses {
			names[u] = true
		}
	}
	all := make([]string, 0, len(names))
	for n := range names {
		all = append(all, n)
	}
	sort.Strings(all)
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var (
		order []string
		cycle *CycleError
		stack []string
	)
	var visit func(n string)
	visit = func(n string) {
		switch state[n] {
		case done:
			return
		case active:
			if cycle == nil {
				i := len(stack) - 1
				for i > 0 && stack[i] != n {
					i--
				}
				c := append(append([]string(nil), stack[i:]...), n)
				cycle = &CycleError{Cycle: c}
			}
			return
		}
		state[n] = active
		stack = append(stack, n)
		uses := append([]string(nil), d[n]...)
		sort.Strings(uses)
		for _, u := range uses {
			visit(u)
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		order = append(order, n)
	}
	for _, n := range all {
		visit(n)
	}
	if cycle != nil {
		return order, cycle
	}
	return order, nil
}

// encodeDeps and decodeDeps give the dependencies file's sealed form.
func encodeDeps(d Dependencies) ([]byte, error) { return seal(depsFormat, d) }

func decodeDeps(b []byte) (Dependencies, error) {
	var d Dependencies
	if err := unseal(depsFormat, b, &d); err != nil {
		return nil, fmt.Errorf("dependencies: %w", err)
	}
	return d, nil
}
