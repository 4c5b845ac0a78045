package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// sharedFiles hold what several subcommands use: flags, colours, text
// helpers and the dispatch. Every other file is a subcommand's.
var sharedFiles = []string{"main.go", "commands.go", "color.go", "format.go", "addrflags.go", "projectflags.go", "xorprint.go"}

// parentFile is the file of the command a subcommand file belongs to:
// gds_diff.go's is gds.go (X_Y.go's is X.go).
func parentFile(name string, exists func(string) bool) string {
	if i := strings.Index(name, "_"); i > 0 && exists(name[:i]+".go") {
		return name[:i] + ".go"
	}
	return ""
}

// TestSubcommandFilesStandAlone: a subcommand's file uses only its own
// names, the shared files' and those of its command's file (gds_diff.go
// those of gds.go, and gds.go those of its subcommands' files): never
// another subcommand's helpers (issue 10: "no subcommand file reaches into
// another"). The shared helpers live in the shared files.
func TestSubcommandFilesStandAlone(t *testing.T) {
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	declared := map[string]string{} // top-level name -> file
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = f
		for name := range f.Scope.Objects {
			declared[name] = p
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				declared[fd.Name.Name] = p
			}
		}
	}
	exists := func(name string) bool { _, ok := files[name]; return ok }
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if slices.Contains(sharedFiles, name) {
			continue
		}
		seen := map[string]bool{}
		for _, id := range files[name].Unresolved {
			from, ok := declared[id.Name]
			if !ok || from == name || seen[id.Name] || slices.Contains(sharedFiles, from) ||
				from == parentFile(name, exists) || parentFile(from, exists) == name {
				continue
			}
			seen[id.Name] = true
			t.Errorf("%s uses %s of %s, another subcommand's file: move it into a shared file (format.go)", name, id.Name, from)
		}
	}
	for _, f := range sharedFiles {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("shared file %s: %v", f, err)
		}
	}
}
