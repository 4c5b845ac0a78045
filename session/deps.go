package session

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
)

// depsFormat names the dependencies file's sealed format.
const depsFormat = "lywatch-session-dependencies"

// Dependencies maps each target to the targets whose layouts its layout
// uses (like kfactory's kcl_dependencies.json).
type Dependencies map[string][]string

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

// LoadAll loads every target with a directory in the session, by name
// (the build order is the pipeline's to decide). Unusable files become
// warnings in the result.
func (s *Store) LoadAll() ([]Loaded, []error) {
	var warnings []error
	have, err := s.Targets()
	if err != nil {
		warnings = append(warnings, err)
	}
	sort.Strings(have)
	var out []Loaded
	for _, t := range have {
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
