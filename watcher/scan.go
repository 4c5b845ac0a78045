package watcher

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// racyWindow: a file modified this close to when it was hashed may change
// again within the file system's timestamp granularity, so polling re-hashes
// it instead of trusting size and modification time.
const racyWindow = time.Second

// progressEvery is how often a long scan reports progress through Logf.
const progressEvery = 2 * time.Second

// walkTree walks dir (root or below it, not ignored itself) and calls file
// for every tracked file. Directories are recorded in w.dirs, watched unless
// polling, and their .gitignore read before their entries are judged.
func (w *Watcher) walkTree(dir, root string, file func(p string, d fs.DirEntry)) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && w.filter.skip(p, root, true) {
				return filepath.SkipDir
			}
			w.notePoll(p, nil)
			w.filter.loadDir(p)
			w.watchDir(p)
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if w.filter.tracked(p, root) {
			file(p, d)
		}
		return nil
	})
}

// watchDir records a directory and adds its watch, falling back to polling
// when the inotify watch limit is reached.
func (w *Watcher) watchDir(d string) {
	w.dirs[d] = struct{}{}
	if w.nt == nil {
		return
	}
	err := w.nt.Add(d)
	switch {
	case err == nil:
	case isWatchLimit(err):
		w.watchLimit()
	case isNotExist(err):
		delete(w.dirs, d)
	default:
		w.opts.Logf("watch %s: %v", d, err)
	}
}

// watchExcludes watches, beside the trees, the .git/info directory of
// every git top, whose exclude file is honoured like a .gitignore (see
// watchExclude).
func (w *Watcher) watchExcludes() {
	if !w.filter.gitignore {
		return
	}
	for top := range w.filter.exclRules {
		w.watchExclude(top)
	}
}

// watchExclude watches the .git/info/exclude of git top: with fsnotify
// through a watch on its directory (when it exists), when polling through
// the file's stamp, noted with the .gitignore files' (a missing file's
// too, so that its appearing is seen) unless it is noted already.
func (w *Watcher) watchExclude(top string) {
	p := excludeFile(top)
	if w.nt == nil {
		if _, ok := w.ignoreStamps[p]; !ok {
			w.ignoreStamps[p] = lstatStamp(p)
		}
		return
	}
	_ = w.nt.Add(filepath.Dir(p)) // none: .git/info appearing later goes unseen
}

// fallback switches from fsnotify to polling and says why, in one line.
func (w *Watcher) fallback(why string) {
	if w.nt == nil {
		return
	}
	w.opts.Logf("%s: polling every %v instead", why, w.opts.PollInterval)
	_ = w.nt.Close()
	w.nt = nil
	w.polling.Store(true)
	clear(w.lost) // polling stats every file given to Track
}

// watchLimit falls back to polling when inotify_add_watch says ENOSPC.
func (w *Watcher) watchLimit() {
	w.fallback(fmt.Sprintf("inotify watch limit reached after %d directories "+
		"(raise it with: sudo sysctl -w fs.inotify.max_user_watches=524288)", len(w.dirs)-1))
}

// initialScan walks all roots, watches their directories and hashes every
// tracked file.
func (w *Watcher) initialScan() {
	start, last := time.Now(), time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, root := range w.filter.roots {
		w.walkTree(root, root, func(p string, _ fs.DirEntry) {
			if st, err := w.hashFile(p); err == nil {
				w.files[p] = st
			}
			if now := time.Now(); now.Sub(last) >= progressEvery {
				last = now
				w.opts.Logf("scanning: %d files in %d directories so far", len(w.files), len(w.dirs))
			}
		})
	}
	w.watchExcludes()
	if d := time.Since(start); d >= progressEvery {
		w.opts.Logf("scanned %d files in %d directories in %.1f s", len(w.files), len(w.dirs), d.Seconds())
	}
}

// hashFile reads p and returns its SHA-256, size and modification time.
func (w *Watcher) hashFile(p string) (fileState, error) {
	f, err := os.Open(p)
	if err != nil {
		return fileState{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileState{}, err
	}
	if fi.IsDir() {
		return fileState{}, fs.ErrNotExist
	}
	h := sha256.New()
	for {
		n, err := f.Read(w.buf)
		h.Write(w.buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return fileState{}, err
		}
	}
	st := fileState{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	h.Sum(st.sum[:0])
	st.racy = time.Since(fi.ModTime()) < racyWindow
	return st, nil
}

// addTree starts watching a directory that appeared and makes every tracked
// file below it a candidate: files written before the watch existed are
// found by the walk, later ones by their events.
func (w *Watcher) addTree(dir, root string) {
	w.walkTree(dir, root, func(p string, _ fs.DirEntry) { w.cand[p] = struct{}{} })
}

// dropDir forgets a directory that was removed or renamed away: its watches
// and ignore rules go, and every file known below it becomes a candidate.
// A root that goes is looked for again (see findRoots).
func (w *Watcher) dropDir(dir string) {
	if slices.Contains(w.filter.roots, dir) {
		w.gone[dir] = struct{}{}
	}
	for d := range w.dirs {
		if within(d, dir) {
			if w.nt != nil {
				_ = w.nt.Remove(d)
			}
			delete(w.dirs, d)
			delete(w.dirStamps, d)
		}
	}
	w.filter.forget(dir)
	for p := range w.files {
		if within(p, dir) {
			w.cand[p] = struct{}{}
		}
	}
}

// findRoots looks for the roots that went away (deleted, or renamed away)
// and watches again those that are back: every tracked file in them is a
// candidate, so what came back with them is reported as created.
func (w *Watcher) findRoots() {
	for root := range w.gone {
		if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
			continue
		}
		delete(w.gone, root)
		w.opts.Logf("%s is back: watching it again", root)
		w.addTree(root, root)
		w.arm()
	}
}

// resync walks all roots again with the ignore files read afresh:
// directories that disappeared are dropped and new ones watched. Candidates
// are the files new to the watcher and the known files the walk no longer
// finds (gone, or ignored now), but for files given to Track; after lost
// events (an overflow) every file is. A known file the walk finds again needs no hash: its content changes
// came as events (or, polling, from its stat) like any other, and hashing
// every file for a .gitignore edit took 0.3 s on 10,000 files.
func (w *Watcher) resync() {
	w.filter.reloadExcludes()
	old := w.dirs
	w.dirs = make(map[string]struct{}, len(old))
	clear(w.dirStamps)
	clear(w.ignoreStamps)
	found := map[string]struct{}{}
	for _, root := range w.filter.roots {
		if _, gone := w.gone[root]; gone {
			continue // findRoots walks it when it is back
		}
		w.walkTree(root, root, func(p string, _ fs.DirEntry) {
			if _, known := w.files[p]; known && !w.overflow {
				found[p] = struct{}{}
				return
			}
			w.cand[p] = struct{}{}
		})
	}
	for d := range old {
		if _, ok := w.dirs[d]; !ok {
			w.unwatch(d)
		}
	}
	for p := range w.files {
		if _, ok := found[p]; ok {
			continue
		}
		if _, ok := w.extra[p]; ok && !w.overflow && w.filter.explicitOK(p) {
			continue // watched through its directory whatever the rules say
		}
		w.cand[p] = struct{}{}
	}
	if w.overflow {
		for p := range w.extra {
			w.cand[p] = struct{}{} // a lost event may have made it
		}
	}
	w.watchExcludes()
}
