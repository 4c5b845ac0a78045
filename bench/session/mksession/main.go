// Command mksession makes a project of N Python-sized source files and a
// saved lywatch session tracking all of them, for bench/session/run.sh and
// loop.sh.
//
//	mksession -root DIR -files 10000 [-size 3000] [-nosession] [-gds FILE]
//
// It prints the path of the file list (one root-relative path a line).
// -gds also writes a one-cell layout to FILE for a benchmark's "build" to
// copy into place.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/session"
)

func main() {
	root := flag.String("root", "", "project root to create (must not exist)")
	n := flag.Int("files", 10000, "number of source files")
	size := flag.Int("size", 3000, "bytes per file")
	noSession := flag.Bool("nosession", false, "only make the files")
	tiny := flag.String("gds", "", "also write a one-cell layout to this file")
	flag.Parse()
	err := run(*root, *n, *size, !*noSession)
	if err == nil && *tiny != "" {
		err = writeTinyLayout(*tiny)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksession:", err)
		os.Exit(1)
	}
}

func run(root string, n, size int, withSession bool) error {
	if root == "" {
		return fmt.Errorf("-root is required")
	}
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		return err
	}
	old := time.Now().Add(-time.Hour)
	paths := make([]string, n)
	for i := range n {
		rel := fmt.Sprintf("pdk/m%03d/cell_%05d.py", i/100, i)
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		body := fmt.Sprintf("# module %d\ndef cell_%d(width=0.5):\n    return width * %d\n", i, i, i)
		body += strings.Repeat("# padding line for a realistic size\n", max(0, size-len(body))/36)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
		// Sources last edited an hour ago: their stat data can be trusted.
		if err := os.Chtimes(p, old, old); err != nil {
			return err
		}
		paths[i] = rel
	}
	list := filepath.Join(root, "files.txt")
	if err := os.WriteFile(list, []byte(strings.Join(paths, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if withSession {
		if err := save(root, paths); err != nil {
			return err
		}
	}
	fmt.Println(list)
	return nil
}

func save(root string, paths []string) error {
	files, err := session.HashFiles(context.Background(), root, paths)
	if err != nil {
		return err
	}
	s, err := session.Open(session.DefaultDir(root), session.Options{Root: root})
	if err != nil {
		return err
	}
	defer s.Close()
	layout := filepath.Join(root, "out.gds")
	if err := os.WriteFile(layout, []byte(strings.Repeat("fake layout bytes\n", 1<<14)), 0o644); err != nil {
		return err
	}
	m := &session.Manifest{Files: files, Cells: []session.Cell{{Name: "TOP", Local: "l", Deep: "d"}}}
	return s.Save(session.DefaultTarget, m, layout)
}

// writeTinyLayout writes a layout with one cell, TOP, holding a 10×10 box
// on layer 1/0.
func writeTinyLayout(path string) error {
	box := gds.Shape{Kind: gds.Boundary, Layer: 1, XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: 10}, {X: 10, Y: 10}, {X: 10, Y: 0}, {X: 0, Y: 0}}}
	lib := &gds.Library{Name: "LIB", Version: 600, UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{{Name: "TOP", Shapes: []gds.Shape{box}}}}
	return gds.WriteFile(path, lib)
}
