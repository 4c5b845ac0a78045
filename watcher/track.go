package watcher

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Track makes paths the watcher's extra files, replacing those of the
// last call: from now on each is tracked whatever the include globs, the
// built-in ignores and the ignore files say. Its content now is its
// baseline (it is not reported as created), and every later change is
// reported in a change set like any other file's, whether it is inside the
// roots or not: a file outside them is watched through its directory, not
// recursively. A missing file is reported as created when it appears. A
// directory of these files that is missing, or goes away, is looked for
// every PollInterval until it is back (with inotify, a directory above it
// renamed away is seen only inside a root: outside, nothing watches it).
//
// Paths given to IgnorePath are never tracked, nor, inside a root, paths
// an exclude glob names: both say what the build writes. A file dropped
// from the list stops being tracked silently, unless the globs cover it.
//
// Track is meant for the inputs the dependency graph finds that the globs
// miss: data files the code reads, single modules installed in editable
// mode. Relative paths are taken from the current directory. A path that
// is a directory is skipped and named in the error; the others are tracked
// all the same. Track is safe from any goroutine, before and while Run
// runs; after Run returned or Close it returns ErrClosed.
func (w *Watcher) Track(paths []string) error {
	want := make(map[string]struct{}, len(paths))
	var errs []error
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("watcher: track %s: %w", p, err))
			continue
		}
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			errs = append(errs, fmt.Errorf("watcher: track %s: a directory (watch it with AddRoot)", abs))
			continue
		}
		want[abs] = struct{}{}
	}
	w.state.Lock()
	defer w.state.Unlock()
	if w.closed.Load() {
		return ErrClosed
	}
	w.setExtra(want)
	w.poke()
	return errors.Join(errs...)
}

// setExtra replaces the extra files with want: the files that leave are
// forgotten unless the globs track them, the directories of the new ones
// are watched, and the new ones hashed.
func (w *Watcher) setExtra(want map[string]struct{}) {
	var forget []string
	for p := range w.extra {
		if _, keep := want[p]; !keep && !w.filter.trackedDeep(p) {
			forget = append(forget, p)
		}
	}
	old := w.extra
	w.extra = want
	dirs := make(map[string]struct{}, len(w.fileDirs))
	for p := range want {
		dirs[filepath.Dir(p)] = struct{}{}
	}
	for d := range w.fileDirs {
		if _, keep := dirs[d]; !keep {
			delete(w.fileDirs, d)
			delete(w.lost, d)
			w.unwatch(d)
		}
	}
	for d := range dirs {
		if _, had := w.fileDirs[d]; !had {
			w.fileDirs[d] = struct{}{}
			w.watchFileDir(d)
		}
	}
	// Hash the new files after their directories are watched: a change
	// from now on comes as an event, or polling sees it.
	hashed := map[string]fileState{}
	for p := range want {
		if _, had := old[p]; had || !w.filter.explicitOK(p) {
			continue
		}
		if _, known := w.files[p]; known {
			continue
		}
		if st, err := w.hashFile(p); err == nil {
			hashed[p] = st
		} else if !isNotExist(err) {
			w.opts.Logf("read %s: %v", p, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range forget {
		delete(w.files, p)
		delete(w.cand, p)
	}
	for p, st := range hashed {
		w.files[p] = st
	}
}

// wanted reports whether the file p is one the watcher reports on: a file
// given to Track and not ignored, or one the globs and ignore rules track.
func (w *Watcher) wanted(p string) bool {
	if _, ok := w.extra[p]; ok && w.filter.explicitOK(p) {
		return true
	}
	return w.filter.trackedDeep(p)
}

// watchFileDir watches d, the directory of a file given to Track, unless
// polling; a missing d is looked for every PollInterval (see findLost).
func (w *Watcher) watchFileDir(d string) {
	if w.nt == nil {
		return
	}
	if _, ok := w.dirs[d]; ok {
		return // watched with the tree
	}
	err := w.nt.Add(d)
	switch {
	case err == nil:
	case isWatchLimit(err):
		w.watchLimit()
	case isNotExist(err) || errors.Is(err, syscall.ENOTDIR):
		w.lost[d] = struct{}{}
	default:
		w.opts.Logf("watch %s: %v", d, err)
	}
}

// unwatch removes the watch on d unless a tree or a file given to Track
// still needs it, or it holds a git top's .git/info/exclude.
func (w *Watcher) unwatch(d string) {
	if w.nt == nil {
		return
	}
	if _, ok := w.dirs[d]; ok {
		return
	}
	if _, ok := w.fileDirs[d]; ok {
		return
	}
	if filepath.Base(d) == "info" && w.filter.isExcludeFile(filepath.Join(d, "exclude")) {
		return
	}
	_ = w.nt.Remove(d)
}

// loseFileDirs deals with dir going away (removed, or renamed away): the
// watches of the directories of files given to Track at or below it are
// dropped, those directories are looked for every PollInterval, and their
// files become candidates.
func (w *Watcher) loseFileDirs(dir string) {
	if w.nt == nil {
		return
	}
	for d := range w.fileDirs {
		if !within(d, dir) {
			continue
		}
		if _, ok := w.lost[d]; ok {
			continue
		}
		w.lost[d] = struct{}{}
		if _, ok := w.dirs[d]; !ok {
			_ = w.nt.Remove(d)
		}
		w.candidatesIn(d)
		w.arm()
	}
}

// findLost watches again the directories of files given to Track that
// are back; their files become candidates, so what came back with them is
// reported.
func (w *Watcher) findLost() {
	for d := range w.lost {
		if w.nt == nil {
			clear(w.lost) // polling stats every file given to Track
			return
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		delete(w.lost, d)
		w.watchFileDir(d)
		w.candidatesIn(d)
		w.arm()
	}
}

// candidatesIn makes the files given to Track in directory d candidates.
func (w *Watcher) candidatesIn(d string) {
	for p := range w.extra {
		if filepath.Dir(p) == d {
			w.cand[p] = struct{}{}
		}
	}
}

// AddRoot watches dir recursively from now on, like the roots given to
// New: the same include and exclude globs and built-in ignores, and the
// ignore files from dir's git top down. The files it tracks there now are
// hashed as their baseline, not reported as created. A dir that is a root,
// or inside one, changes nothing; the roots inside dir become part of it
// (their files then judged relative to dir, those that leave forgotten
// silently).
//
// AddRoot is meant for the sources of packages installed in editable mode
// from another checkout. It is safe from any goroutine, before and while
// Run runs; after Run returned or Close it returns ErrClosed.
func (w *Watcher) AddRoot(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("watcher: add root %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("watcher: add root: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("watcher: add root %s: not a directory", abs)
	}
	w.state.Lock()
	defer w.state.Unlock()
	if w.closed.Load() {
		return ErrClosed
	}
	if w.filter.rootOf(abs) != "" {
		return nil
	}
	inner := w.filter.addRoot(abs)
	for _, r := range inner {
		delete(w.gone, r)
	}
	hashed := map[string]fileState{}
	found := map[string]struct{}{}
	w.walkTree(abs, abs, func(p string, _ fs.DirEntry) {
		if _, known := w.files[p]; known {
			found[p] = struct{}{}
			return
		}
		if st, err := w.hashFile(p); err == nil {
			hashed[p] = st
		}
	})
	if _, ok := w.filter.exclRules[w.filter.top[abs]]; ok && w.filter.gitignore {
		w.watchExclude(w.filter.top[abs])
	}
	w.mu.Lock()
	for p, st := range hashed {
		w.files[p] = st
	}
	if len(inner) > 0 {
		for p := range w.files {
			if _, ok := found[p]; !ok && within(p, abs) && !w.wanted(p) {
				delete(w.files, p)
			}
		}
	}
	w.mu.Unlock()
	w.poke()
	return nil
}

// poke wakes Run to look again at what it waits on (a ticker for a lost
// directory, the notifier after a fallback).
func (w *Watcher) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}
