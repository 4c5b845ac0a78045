package depgraph

import (
	"context"
	"slices"
	"testing"
)

// TestExcludeGlobs: files and directories an exclude glob names stay out
// of a scan, of an update and of a graph rebuilt from a snapshot taken
// without the globs.
func TestExcludeGlobs(t *testing.T) {
	files := map[string]string{
		"pdk/__init__.py":     "",
		"pdk/a.py":            "@cell\ndef fa():\n    return 1\n",
		"pdk/gen_b.py":        "@cell\ndef fb():\n    return 2\n",
		"pdk/scratch/c.py":    "@cell\ndef fc():\n    return 3\n",
		"pdk/scratch/d/e.py":  "@cell\ndef fe():\n    return 4\n",
		"other/scratch/ok.py": "@cell\ndef fok():\n    return 5\n",
	}
	globs := []string{"pdk/scratch/**", "**/gen_*.py"}
	want := []string{"other/scratch/ok.py", "pdk/__init__.py", "pdk/a.py"}
	paths := func(g *Graph) []string {
		var out []string
		for _, fi := range g.Files() {
			out = append(out, fi.Path)
		}
		slices.Sort(out)
		return out
	}
	dir, g := project(t, files, Options{ExcludeGlobs: globs})
	if got := paths(g); !slices.Equal(got, want) {
		t.Errorf("scan: files %q, want %q", got, want)
	}
	write(t, dir, "pdk/scratch/c.py", "@cell\ndef fc():\n    return 30\n")
	write(t, dir, "pdk/gen_b.py", "@cell\ndef fb():\n    return 20\n")
	if inv := update(t, g, "pdk/scratch/c.py", "pdk/gen_b.py"); len(inv.Files) != 0 || len(inv.Functions) != 0 {
		t.Errorf("an edit to excluded files invalidates %q %q", inv.Files, inv.Functions)
	}
	all, err := Scan(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := FromSnapshot(all.Export(), Options{Dir: dir, ExcludeGlobs: globs})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(g2); !slices.Equal(got, want) {
		t.Errorf("from a snapshot without the globs: files %q, want %q", got, want)
	}
	if _, err := Scan(context.Background(), Options{Dir: dir, ExcludeGlobs: []string{"a/[b"}}); err == nil {
		t.Error("a bad exclude glob is accepted")
	}
}
