package watcher

import (
	"encoding/hex"
	"os"
	"time"
)

// outcome is what a flush found for one candidate.
type outcome struct {
	path   string
	st     fileState
	exists bool
	change bool // content differs from the last known content
}

// flush ends a quiet window: every candidate is hashed and compared with
// its last known hash, and what really changed joins the pending set. A
// candidate that is missing or reads empty, where before it had content, is
// given one Settle wait first, and so is a new file that is still empty: it
// may be mid-write or mid-rename.
func (w *Watcher) flush() {
	w.armed = false
	w.burst = false
	if w.rescan {
		w.resync()
	}
	outs, suspicious := w.examine()
	if suspicious && !w.settled && w.opts.Settle > 0 {
		w.settled = true
		w.armed = true
		w.timer.Reset(w.opts.Settle)
		if w.onSettle != nil {
			w.onSettle()
		}
		return
	}
	cs := w.apply(outs)
	cs.Rescan = w.overflow
	w.rescan, w.overflow, w.settled = false, false, false
	if len(w.cand) > 1024 {
		w.cand = map[string]struct{}{}
	} else {
		clear(w.cand)
	}
	if cs.Empty() {
		return
	}
	w.lastEmit = time.Now()
	w.pending = Merge(w.pending, cs)
}

// examine hashes the candidates. A known file that is no longer tracked
// (ignored since, or below a directory ignored since) is returned with exists
// and change false, so apply forgets it silently.
func (w *Watcher) examine() (outs []outcome, suspicious bool) {
	outs = make([]outcome, 0, len(w.cand))
	for p := range w.cand {
		old, known := w.files[p]
		if !w.wanted(p) {
			if known && (w.filter.userIgnored(p) || exists(p)) {
				outs = append(outs, outcome{path: p})
				continue
			}
			if !known {
				continue
			}
		}
		st, err := w.hashFile(p)
		switch {
		case err != nil && !isNotExist(err):
			w.opts.Logf("read %s: %v", p, err)
		case err != nil:
			if known {
				suspicious = true
				outs = append(outs, outcome{path: p, change: true})
			}
		case !known:
			// A new file that is still empty may be about to be written.
			suspicious = suspicious || st.size == 0
			outs = append(outs, outcome{path: p, st: st, exists: true, change: true})
		case st.sum == old.sum:
			if st != old {
				outs = append(outs, outcome{path: p, st: st, exists: true})
			}
		default:
			if st.size == 0 && old.size > 0 {
				suspicious = true
			}
			outs = append(outs, outcome{path: p, st: st, exists: true, change: true})
		}
	}
	return outs, suspicious
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// apply records the outcomes and returns the changes among them.
func (w *Watcher) apply(outs []outcome) ChangeSet {
	var cs ChangeSet
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, o := range outs {
		old, known := w.files[o.path]
		if !o.exists {
			delete(w.files, o.path)
		} else {
			w.files[o.path] = o.st
		}
		if !o.change {
			continue
		}
		c := Change{Path: o.path, Kind: Modified}
		if known {
			c.OldHash = hex.EncodeToString(old.sum[:])
		} else {
			c.Kind = Created
		}
		if o.exists {
			c.NewHash = hex.EncodeToString(o.st.sum[:])
		} else {
			c.Kind = Deleted
		}
		cs.Changes = append(cs.Changes, c)
	}
	sortChanges(cs.Changes)
	return cs
}
