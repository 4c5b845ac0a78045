package repocheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// root is the repository's top, two levels above this package.
const root = "../.."

// readRepoFile reads a file by its slash path from the repository's top.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the part of a Markdown text below the heading line
// (exactly as written) up to the next heading of the same or a higher
// level, outside code blocks.
func section(t *testing.T, text, heading string) string {
	t.Helper()
	level := len(heading) - len(strings.TrimLeft(heading, "#"))
	var out []string
	in, fence := false, false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(line, "#") {
			n := len(line) - len(strings.TrimLeft(line, "#"))
			if in && n <= level {
				break
			}
			if line == heading {
				in = true
				continue
			}
		}
		if in {
			out = append(out, line)
		}
	}
	if !in {
		t.Fatalf("no heading %q", heading)
	}
	return strings.Join(out, "\n")
}

// sources calls f with the slash path and text of every non-test source
// file of the repository whose name ends in one of exts, skipping hidden
// folders and build outputs.
func sources(t *testing.T, exts []string, f func(name, text string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "build" || name == "__pycache__") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_test.go") {
			return nil
		}
		for _, ext := range exts {
			if strings.HasSuffix(name, ext) {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(root, p)
				f(filepath.ToSlash(rel), string(b))
				return nil
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
