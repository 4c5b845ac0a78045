package pipeline

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/project"
)

// TestExcludeGlobs: the configuration's exclude globs, relative to each
// watched root, reach the graph relative to the scanned sources.
func TestExcludeGlobs(t *testing.T) {
	src := filepath.FromSlash("/p")
	tests := []struct {
		name    string
		watch   []string
		exclude []string
		want    []string
	}{
		{"none", nil, nil, nil},
		{"the sources are the root", []string{src}, []string{"pdk/scratch/**"}, []string{"pdk/scratch/**"}},
		{"no watch: the sources", nil, []string{"a/**"}, []string{"a/**"}},
		{"two roots below", []string{filepath.Join(src, "a"), filepath.Join(src, "b")}, []string{"x/**"}, []string{"a/x/**", "b/x/**"}},
		{"a root with glob characters", []string{filepath.Join(src, "w[1]")}, []string{"*.py"}, []string{`w\[1\]/*.py`}},
		{"a root outside", []string{filepath.FromSlash("/q")}, []string{"x"}, nil},
	}
	for _, tc := range tests {
		p := &project.Project{Sources: src, Config: &config.Config{Watch: tc.watch, Exclude: tc.exclude}}
		if got := excludeGlobs(p); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
