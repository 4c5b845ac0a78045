package session

import (
	"fmt"
	"path/filepath"
	"sort"
)

// RelPath turns an absolute path under root into the root-relative,
// slash-separated form manifests use.
func RelPath(root, abs string) (string, error) {
	r, err := filepath.Rel(root, abs)
	if err != nil {
		return "", fmt.Errorf("session: %s is not under %s: %w", abs, root, err)
	}
	if !filepath.IsLocal(r) {
		return "", fmt.Errorf("session: %s is not under %s", abs, root)
	}
	return filepath.ToSlash(r), nil
}

// RelPaths is RelPath for many paths, sorted.
func RelPaths(root string, abs []string) ([]string, error) {
	out := make([]string, 0, len(abs))
	for _, a := range abs {
		r, err := RelPath(root, a)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

// NewFiles returns the root-relative paths in current that the manifest
// does not track: files added while lywatch was stopped, which Validate
// cannot see. Pass the files the watcher tracks now; treat the result as
// changed (a new module can shadow an import or be globbed by a build).
func (m *Manifest) NewFiles(current []string) []string {
	var out []string
	for _, p := range current {
		if m.File(p) == nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
