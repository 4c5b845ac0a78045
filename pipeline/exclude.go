package pipeline

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/lywatch/lywatch/project"
)

// excludeGlobs turns the configuration's exclude globs, relative to each
// watched root as the watcher reads them, into globs relative to the
// sources the graph scans, so the graph leaves out what the watcher skips.
func excludeGlobs(p *project.Project) []string {
	roots := p.Config.Watch
	if len(roots) == 0 {
		roots = []string{p.Sources}
	}
	var out []string
	for _, r := range roots {
		rel, err := filepath.Rel(p.Sources, r)
		if err != nil || !filepath.IsLocal(rel) {
			continue // outside the sources: the graph never sees it
		}
		for _, g := range p.Config.Exclude {
			g = filepath.ToSlash(g)
			if rel != "." {
				g = quoteGlob(filepath.ToSlash(rel)) + "/" + g
			}
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// quoteGlob escapes the characters a doublestar glob gives a meaning.
func quoteGlob(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]{}\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
