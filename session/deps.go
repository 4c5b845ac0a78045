package session

import (
	"errors"
	"fmt"
	"path/filepath"
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
func encodeDeps(d Dependencies, key []byte) ([]byte, error) { return seal(depsFormat, d, key) }

func decodeDeps(b, key []byte) (Dependencies, error) {
	var d Dependencies
	mark, err := unseal(depsFormat, b, &d)
	if err == nil {
		err = mark.verify(key)
	}
	if err != nil {
		return nil, fmt.Errorf("dependencies: %w", err)
	}
	return d, nil
}

// SaveDependencies writes the dependencies file: which target's layout uses
// which others'.
func (s *Store) SaveDependencies(d Dependencies) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	b, err := encodeDeps(d, s.key)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(s.dir, depsName), b, filePerm)
}

// LoadDependencies reads the dependencies file: (nil, nil) when there is
// none or it is foreign (not written by this user on this machine: the
// targets' own manifests then carry the session's one warning), and
// (nil, *Warning) when it is damaged.
func (s *Store) LoadDependencies() (Dependencies, error) {
	p := filepath.Join(s.dir, depsName)
	b, err := readOwned(p)
	if isNotExist(err) {
		return nil, nil
	}
	if err == nil {
		var d Dependencies
		if d, err = decodeDeps(b, s.key); err == nil {
			return d, nil
		}
	}
	if errors.Is(err, ErrForeign) {
		return nil, nil
	}
	return nil, &Warning{Path: s.rel(p), Err: err}
}

// Loaded is one target's result from LoadAll.
type Loaded struct {
	Target string
	// Manifest is nil when the target has no usable session.
	Manifest *Manifest
	// Warning is set when the target's session was there but unusable.
	Warning error
	// LayoutPending is set, in a read-only store, when the manifest's
	// layout is not at the store's LayoutPath yet but still in the file a
	// save writes first: a save was interrupted between its commit and
	// its rename (or is under way). The lywatch holding the lock puts it
	// in place when it next loads the target.
	LayoutPending bool
}

// LoadAll loads every target in dependency order (a target after those its
// layout uses; see Dependencies.Order), including targets with a directory
// but no dependency entry. Unusable files become warnings in the result;
// a cycle in the dependencies is returned as a *CycleError beside a full
// result in name order for the targets on it.
func (s *Store) LoadAll() ([]Loaded, []error) {
	var warnings []error
	deps, err := s.LoadDependencies()
	if err != nil {
		warnings = append(warnings, err)
	}
	if deps == nil {
		deps = Dependencies{}
	}
	have, err := s.Targets()
	if err != nil {
		warnings = append(warnings, err)
	}
	all := Dependencies{}
	for t, uses := range deps {
		all[t] = uses
	}
	for _, t := range have {
		if _, ok := all[t]; !ok {
			all[t] = nil
		}
	}
	order, err := all.Order()
	if err != nil {
		warnings = append(warnings, err)
	}
	var out []Loaded
	for _, t := range order {
		if checkTarget(t) != nil {
			continue
		}
		m, pending, err := s.loadLocked(t)
		if m == nil && err == nil {
			continue
		}
		out = append(out, Loaded{Target: t, Manifest: m, Warning: err, LayoutPending: pending})
	}
	return out, warnings
}
