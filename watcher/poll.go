package watcher

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// stamp is what polling compares to notice that a directory's entries or an
// ignore file changed without reading them.
type stamp struct {
	mtime int64
	size  int64
	racy  bool // modified too recently to trust: look again next time
}

func stampOf(fi fs.FileInfo) stamp {
	return stamp{
		mtime: fi.ModTime().UnixNano(),
		size:  fi.Size(),
		racy:  time.Since(fi.ModTime()) < racyWindow,
	}
}

// lstatStamp is the stamp of p, or the zero stamp (never the same as a
// file's) when p does not exist.
func lstatStamp(p string) stamp {
	fi, err := os.Lstat(p)
	if err != nil {
		return stamp{mtime: -1}
	}
	return stampOf(fi)
}

// same reports whether s still describes fi; a racy stamp never does.
func (s stamp) same(fi fs.FileInfo) bool {
	return !s.racy && s.mtime == fi.ModTime().UnixNano() && s.size == fi.Size()
}

// notePoll records, when polling, the stamps of a directory about to be read
// (fi is its lstat when the caller has one, else nil) and of its .gitignore;
// a .gitignore that changed or went away since it was noted asks for a full
// rescan.
func (w *Watcher) notePoll(dir string, fi fs.FileInfo) {
	if w.nt != nil {
		return
	}
	if fi == nil {
		fi, _ = os.Lstat(dir)
	}
	if fi != nil {
		w.dirStamps[dir] = stampOf(fi)
	}
	if !w.filter.gitignore {
		return
	}
	gi := filepath.Join(dir, ".gitignore")
	old, had := w.ignoreStamps[gi]
	fi, err := os.Lstat(gi)
	switch {
	case err == nil:
		w.ignoreStamps[gi] = stampOf(fi)
		if had && !old.same(fi) {
			w.rescan = true
		}
	case had:
		delete(w.ignoreStamps, gi)
		w.rescan = true
	}
}

// pollOnce looks for changes without events: a directory whose modification
// time moved is read again (new files and directories), every known file is
// stat'ed (a different size or modification time makes it a candidate, and
// so does a modification too recent to trust), and an ignore file that
// changed asks for a full rescan. An idle tree costs one lstat per directory
// and per tracked file, and one per file given to Track that is missing.
func (w *Watcher) pollOnce() {
	dirs := make([]string, 0, len(w.dirs))
	for d := range w.dirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs) // parents first: a dropped parent takes its children
	for _, d := range dirs {
		if _, still := w.dirs[d]; !still {
			continue
		}
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() {
			w.dropDir(d)
			continue
		}
		if st, ok := w.dirStamps[d]; ok && st.same(fi) {
			continue
		}
		w.pollDir(d, fi)
	}
	for gi, st := range w.ignoreStamps {
		if w.rescan {
			break // one changed ignore file rescans everything
		}
		if lstatStamp(gi) != st || st.racy {
			w.rescan = true
		}
	}
	for p, old := range w.files {
		if old.racy {
			w.cand[p] = struct{}{}
			continue
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Size() != old.size || fi.ModTime().UnixNano() != old.mtime {
			w.cand[p] = struct{}{}
		}
	}
	for p := range w.extra {
		if _, known := w.files[p]; !known && exists(p) && w.filter.explicitOK(p) {
			w.cand[p] = struct{}{} // a file given to Track appeared
		}
	}
	if (len(w.cand) > 0 || w.rescan) && !w.armed {
		w.arm()
	}
}

// pollDir reads directory d, whose lstat fi shows its entries changed: new
// directories are walked, new tracked files become candidates, and a new
// .gitignore asks for a rescan. Files and directories that went away are
// found by their stat.
func (w *Watcher) pollDir(d string, fi fs.FileInfo) {
	root := w.filter.rootOf(d)
	if root == "" {
		return
	}
	w.notePoll(d, fi)
	entries, err := os.ReadDir(d)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(d, e.Name())
		switch {
		case e.IsDir():
			if _, ok := w.dirs[p]; !ok && !w.filter.skip(p, root, true) {
				w.addTree(p, root)
			}
		case e.Name() == ".gitignore" && w.filter.gitignore:
			if _, ok := w.ignoreStamps[p]; !ok {
				w.rescan = true
			}
		default:
			if _, known := w.files[p]; !known && w.filter.tracked(p, root) {
				w.cand[p] = struct{}{}
			}
		}
	}
}
