package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lywatch/lywatch/session"
)

// openSessionLocked opens the session for writing, or explains who holds it.
func openSessionLocked(e *env, f *sessionFlags, cmd string) (*session.Store, int) {
	dir, root, err := f.locate(e)
	if err != nil {
		return nil, e.errorf("session %s: %s", cmd, sessionErr(err))
	}
	s, err := session.Open(dir, session.Options{Root: root, Args: append([]string{"lywatch", "session", cmd}, f.args...)})
	if err != nil {
		return nil, e.errorf("session %s: %s", cmd, sessionErr(err))
	}
	return s, exitOK
}

func runSessionSave(_ context.Context, e *env, args []string) int {
	f := newSessionFlags(e, "save")
	cell := f.fs.String("cell", "", "keep only this cell and its descendants (required)")
	layout := f.fs.String("layout", "", "take the cells from this layout (.gds or .gds.gz) instead of the saved one")
	if code, ok := f.parse(e, args); !ok {
		return code
	}
	if *cell == "" {
		return e.errorf("session save: --cell NAME is required")
	}
	s, code := openSessionLocked(e, f, "save")
	if s == nil {
		return code
	}
	defer s.Close()
	target := f.target
	if target == "" {
		targets, err := s.Targets()
		if err != nil {
			return e.errorf("session save: %s", sessionErr(err))
		}
		switch {
		case len(targets) == 1:
			target = targets[0]
		case len(targets) == 0 && *layout != "":
			target = session.DefaultTarget
		default:
			return e.errorf("session save: say which target with --target (saved: %s)", strings.Join(targets, ", "))
		}
	}
	m, err := s.SaveCell(target, *cell, *layout)
	if err != nil {
		return e.errorf("session save: %s", sessionErr(err))
	}
	fmt.Fprintf(e.stdout, "saved %s: %d cells under %s into %s\n", target, len(m.Cells), *cell, s.LayoutPath(target))
	return exitOK
}

func runSessionClear(_ context.Context, e *env, args []string) int {
	f := newSessionFlags(e, "clear")
	if code, ok := f.parse(e, args); !ok {
		return code
	}
	s, code := openSessionLocked(e, f, "clear")
	if s == nil {
		return code
	}
	defer s.Close()
	var targets []string
	if f.target != "" {
		targets = []string{f.target}
	}
	if err := s.Clear(targets...); err != nil {
		return e.errorf("session clear: %s", sessionErr(err))
	}
	what := "every target"
	if f.target != "" {
		what = "target " + f.target
	}
	fmt.Fprintf(e.stdout, "cleared %s from %s\n", what, s.Dir())
	return exitOK
}

// runSessionHash hashes files the way the session does (in parallel) and
// prints sha256sum's format, so benchmarks can compare the two.
func runSessionHash(ctx context.Context, e *env, args []string) int {
	f := newSessionFlags(e, "hash")
	from := f.fs.String("from", "", "read the paths, one a line, from this file (- for standard input)")
	if code, ok := f.parse(e, args); !ok {
		return code
	}
	paths := f.args
	if *from != "" {
		more, err := readSessionLines(e, *from)
		if err != nil {
			return e.errorf("session hash: %s", sessionErr(err))
		}
		paths = append(paths, more...)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return e.errorf("session hash: %s", sessionErr(err))
	}
	rel := make([]string, len(paths))
	for i, p := range paths {
		if filepath.IsAbs(p) {
			// HashFiles takes root-relative paths; "/" is the root here.
			rel[i] = strings.TrimPrefix(filepath.ToSlash(p), "/")
		} else {
			rel[i] = filepath.ToSlash(filepath.Join(cwd, p))[1:]
		}
	}
	files, err := session.HashFiles(ctx, "/", rel)
	if err != nil {
		return e.errorf("session hash: %s", sessionErr(err))
	}
	bw := bufio.NewWriterSize(e.stdout, 64<<10)
	for i, fl := range files {
		fmt.Fprintf(bw, "%s  %s\n", fl.SHA256, paths[i])
	}
	if err := bw.Flush(); err != nil {
		return e.errorf("session hash: %s", sessionErr(err))
	}
	return exitOK
}

func readSessionLines(e *env, from string) ([]string, error) {
	var r io.Reader = e.stdin
	if from != "-" {
		fl, err := os.Open(from)
		if err != nil {
			return nil, err
		}
		defer fl.Close()
		r = fl
	}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}
