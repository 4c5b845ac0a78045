package session_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/session"
)

// Example shows the live loop's use of a session: load and validate at
// start, push the saved layout when nothing changed, and save after each
// good build.
func Example() {
	ctx := context.Background()
	cwd, _ := os.Getwd()
	root := session.FindRoot(cwd)
	dir, _ := session.ResolveDir("" /* --session-dir */, os.Getenv(session.EnvDir), "" /* config */, cwd)

	s, err := session.Open(dir, session.Options{Root: root, Args: os.Args})
	if errors.Is(err, session.ErrLocked) {
		fmt.Println(err) // names the other lywatch: pid, host, start time
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	// Start: load, then stat every tracked file.
	target := session.DefaultTarget
	m, err := s.Load(target)
	if err != nil {
		fmt.Println(err) // one warning line: the session is treated as empty
	}
	var files []session.File
	if m != nil {
		v, err := session.Validate(ctx, root, m)
		switch {
		case err != nil:
			fmt.Println(err)
		case v.Valid():
			fmt.Println("session valid: pushing", s.LayoutPath(target), "without a build")
		default:
			// Hand v.ChangedPaths() to depgraph's Update and build what
			// it reaches; never push s.LayoutPath(target).
			fmt.Println("changed since the session:", v.ChangedRel())
		}
		if v != nil {
			files = v.Files
		}
	}

	// Before each build: rehash the cycle's changed files (all of them the
	// first time) so the manifest records what the build reads.
	files, _ = session.RefreshFiles(ctx, root, files, []string{"pdk/helpers.py"})

	// After a good build: record it.
	lib, err := gds.ReadFile("build/chip.gds")
	if err != nil {
		return
	}
	cells, _ := session.CellsFromLayout(lib, nil)
	next := &session.Manifest{
		Files: files,
		Cells: cells,
		// Functions, Factories and Edges from the dependency graph.
	}
	if err := s.Save(target, next, "build/chip.gds"); err != nil {
		fmt.Println(err)
	}
}
