package watcher

import (
	"io/fs"
	"os"
)

// pollOnce walks the roots and makes a candidate of every tracked file whose
// size or modification time differs from what was hashed (or that was
// modified too close to its hashing to trust them), that is new, or that
// went away. Directories that went away are forgotten.
func (w *Watcher) pollOnce() {
	seen := make(map[string]struct{}, len(w.files))
	oldDirs := w.dirs
	w.dirs = make(map[string]struct{}, len(oldDirs))
	for _, root := range w.filter.roots {
		w.walkTree(root, root, func(p string, d fs.DirEntry) {
			seen[p] = struct{}{}
			old, known := w.files[p]
			if !known || old.racy {
				w.cand[p] = struct{}{}
				return
			}
			fi, err := d.Info()
			if err == nil && d.Type()&fs.ModeSymlink != 0 {
				fi, err = os.Stat(p)
			}
			if err != nil || fi.Size() != old.size || fi.ModTime().UnixNano() != old.mtime {
				w.cand[p] = struct{}{}
			}
		})
	}
	for d := range oldDirs {
		if _, ok := w.dirs[d]; !ok {
			w.filter.forget(d)
		}
	}
	for p := range w.files {
		if _, ok := seen[p]; !ok {
			w.cand[p] = struct{}{}
		}
	}
	if len(w.cand) > 0 && !w.armed {
		w.arm()
	}
}
