package watcher

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

func (w *Watcher) eventsChan() <-chan fsnotify.Event {
	if w.nt == nil {
		return nil
	}
	return w.nt.Events()
}

func (w *Watcher) errorsChan() <-chan error {
	if w.nt == nil {
		return nil
	}
	return w.nt.Errors()
}

// handleEvent turns one fsnotify event into candidates. Nothing is read
// here beyond an lstat for created paths: hashing waits for the flush.
func (w *Watcher) handleEvent(ev fsnotify.Event) {
	if ev.Op == 0 || ev.Op == fsnotify.Chmod {
		return // indexers and touch produce floods of these
	}
	p := filepath.Clean(ev.Name)
	if w.filter.isExcludeFile(p) {
		// Inside .git, maybe above the roots: the rescan at the end of
		// the window rereads it (complete by then) and applies it. The
		// event itself is dropped below, as every event from .git/info.
		w.rescan = true
		w.arm()
	}
	if _, ok := w.extra[p]; ok {
		w.cand[p] = struct{}{}
		w.arm()
		return
	}
	gone := ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
	if gone && len(w.fileDirs) > 0 {
		w.loseFileDirs(p) // p may be, or hold, the directory of a file given to Track
	}
	root := w.filter.rootOf(p)
	if root == "" {
		return
	}
	if p == root {
		if gone {
			w.dropDir(p)
			w.arm()
		}
		return
	}
	if _, ok := w.dirs[filepath.Dir(p)]; !ok {
		return // from .git/info, or a directory watched only for a file given to Track
	}
	if w.filter.userIgnored(p) {
		return
	}
	if w.filter.gitignore && filepath.Base(p) == ".gitignore" {
		// The rescan at the end of the window rereads the ignore files
		// (this one complete by then) and applies them to every file.
		w.rescan = true
		w.arm()
		return
	}
	_, wasDir := w.dirs[p]
	if wasDir && gone {
		w.dropDir(p)
		w.arm()
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			if !w.filter.skip(p, root, true) {
				w.addTree(p, root)
				w.arm()
			}
			return
		}
	}
	if wasDir {
		return
	}
	if _, known := w.files[p]; known || w.filter.tracked(p, root) {
		w.cand[p] = struct{}{}
		w.arm()
	}
}

// handleError deals with an error from fsnotify: an overflow means lost
// events, so everything is rescanned.
func (w *Watcher) handleError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.opts.Logf("file system events were lost (queue overflow): rescanning")
		w.rescan, w.overflow = true, true
		w.arm()
		return
	}
	if isWatchLimit(err) {
		w.watchLimit()
		w.rescan = true
		w.arm()
		return
	}
	w.opts.Logf("watch: %v", err)
}

// arm (re)starts the quiet window after an event. The window is Debounce,
// or BurstWindow while changes keep coming shortly after the last change
// set, and never ends later than MaxWait after the window's first event.
func (w *Watcher) arm() {
	now := time.Now()
	if !w.armed {
		w.armed = true
		w.windowStart = now
	}
	if !w.lastEmit.IsZero() && now.Sub(w.lastEmit) < w.opts.BurstWindow {
		w.burst = true
	}
	d := w.opts.Debounce
	if w.burst {
		d = w.opts.BurstWindow
	}
	if left := w.windowStart.Add(w.opts.MaxWait).Sub(now); d > left {
		d = max(left, 0)
	}
	w.settled = false
	w.timer.Reset(d)
}
