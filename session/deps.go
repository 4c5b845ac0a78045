package session

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// depsFormat names the dependencies file's sealed format.
const depsFormat = "lywatch-session-dependencies"

// Dependencies maps each target to the targets whose layouts its layout
// uses (like kfactory's kcl_dependencies.json).
type Dependencies map[string][]string

// encodeDeps and decodeDeps give the dependencies file's sealed form.
func encodeDeps(d Dependencies) ([]byte, error) { return seal(depsFormat, d) }

func decodeDeps(b []byte) (Dependencies, error) {
	var d Dependencies
	if err := unseal(depsFormat, b, &d); err != nil {
		return nil, fmt.Errorf("dependencies: %w", err)
	}
	return d, nil
}

// SaveDependencies writes the dependencies file: which target's layout uses
// which others'.
func (s *Store) SaveDependencies(d Dependencies) error {
	if err := s.writable(); err != nil {
		return err
	}
	b, err := encodeDeps(d)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(s.dir, depsName), b, 0o644)
}

// LoadDependencies reads the dependencies file: (nil, nil) when there is
// none, (nil, *Warning) when it is unusable.
func (s *Store) LoadDependencies() (Dependencies, error) {
	p := filepath.Join(s.dir, depsName)
	b, err := os.ReadFile(p)
	if isNotExist(err) {
		return nil, nil
	}
	if err == nil {
		var d Dependencies
		if d, err = decodeDeps(b); err == nil {
			return d, nil
		}
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
		m, err := s.Load(t)
		if m == nil && err == nil {
			continue
		}
		out = append(out, Loaded{Target: t, Manifest: m, Warning: err})
	}
	return out, warnings
}
