package watcher

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// fileState is what the watcher knows of a tracked file.
type fileState struct {
	sum   [32]byte // SHA-256 of the content
	size  int64
	mtime int64 // unix nanoseconds; polling compares it
	racy  bool  // modified close to when it was hashed: polling re-hashes it
}

// Watcher watches directory trees, and files given to Track, and sends
// confirmed change sets. Make one with New, start it with Run and read
// Changes.
type Watcher struct {
	opts    Options
	filter  *filter
	changes chan ChangeSet
	wake    chan struct{} // Track and AddRoot: look again at what to wait on

	mu    sync.RWMutex // guards writes to files (reads under state need none)
	files map[string]fileState

	// state guards everything below, and filter's ignore-file state: Run
	// holds it while it handles what woke it, Track and AddRoot while they
	// work. Between the end of New and the start of Run nobody holds it.
	state        sync.Mutex
	nt           notifier // nil when polling
	dirs         map[string]struct{}
	dirStamps    map[string]stamp    // polling: directories' stamps when last read
	ignoreStamps map[string]stamp    // polling: the .gitignore and .git/info/exclude files' stamps
	gone         map[string]struct{} // roots removed or renamed away, looked for every PollInterval
	extra        map[string]struct{} // files given to Track
	fileDirs     map[string]struct{} // directories of the files given to Track
	lost         map[string]struct{} // fileDirs without a watch (missing), looked for every PollInterval
	cand         map[string]struct{}
	rescan       bool // walk everything at the next flush
	overflow     bool // ... because events were lost
	settled      bool // the candidates already had their settle wait
	armed        bool
	burst        bool
	windowStart  time.Time
	lastEmit     time.Time
	timer        *time.Timer
	pending      ChangeSet
	buf          []byte
	onSettle     func() // tests: called when a settle wait starts

	polling   atomic.Bool // mirrors nt == nil for other goroutines
	running   atomic.Bool
	closed    atomic.Bool
	closeOnce sync.Once
}

// New checks the options, walks the roots, starts watching every directory
// and hashes every tracked file, so Hashes is complete when it returns and
// every change from then on is reported by Run. Call Run, or Close if Run is
// never called.
func New(opts Options) (*Watcher, error) {
	return newWatcher(opts, newFSNotifier)
}

func newWatcher(opts Options, newNotifier newNotifierFunc) (*Watcher, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	roots, err := cleanRoots(o.Roots)
	if err != nil {
		return nil, err
	}
	w := &Watcher{
		opts:         o,
		filter:       newFilter(o, roots),
		changes:      make(chan ChangeSet),
		wake:         make(chan struct{}, 1),
		files:        map[string]fileState{},
		dirs:         map[string]struct{}{},
		dirStamps:    map[string]stamp{},
		ignoreStamps: map[string]stamp{},
		gone:         map[string]struct{}{},
		extra:        map[string]struct{}{},
		fileDirs:     map[string]struct{}{},
		lost:         map[string]struct{}{},
		cand:         map[string]struct{}{},
		timer:        time.NewTimer(time.Hour),
		buf:          make([]byte, 32<<10),
	}
	w.timer.Stop()
	if !o.Poll {
		nt, err := newNotifier()
		switch {
		case err != nil && isInstanceLimit(err):
			w.opts.Logf("inotify instance limit reached: polling every %v instead; raise fs.inotify.max_user_instances (sudo sysctl -w fs.inotify.max_user_instances=1024)", o.PollInterval)
		case err != nil:
			return nil, fmt.Errorf("watcher: %w", err)
		default:
			w.nt = nt
		}
	}
	w.polling.Store(w.nt == nil)
	w.initialScan()
	return w, nil
}

// cleanRoots makes the roots absolute, checks they are directories and drops
// roots inside other roots.
func cleanRoots(in []string) ([]string, error) {
	var roots []string
	for _, r := range in {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("watcher: root %s: %w", r, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("watcher: root: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("watcher: root %s: not a directory", r)
		}
		roots = append(roots, abs)
	}
	sort.Strings(roots)
	out := roots[:0]
	for _, r := range roots {
		if len(out) > 0 && within(r, out[len(out)-1]) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Polling reports whether the watcher polls, because Options.Poll asked for
// it or because it fell back to polling. It is safe from any goroutine.
func (w *Watcher) Polling() bool { return w.polling.Load() }

// Changes returns the channel of change sets. It is closed when Run returns.
// While nobody receives, further changes merge into the waiting set, so a
// slow reader gets fewer, larger sets and never loses a change.
func (w *Watcher) Changes() <-chan ChangeSet { return w.changes }

// IgnorePath marks path (a file, or a directory and everything below it) as
// never tracked: use it for every path a build writes, so that a build does
// not trigger itself. It may be called at any time from any goroutine.
func (w *Watcher) IgnorePath(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	w.filter.ignorePath(abs)
}

// Hashes returns the tracked files (those given to Track and those under
// AddRoot's roots included), each with the hex SHA-256 of its last known
// content. The map is a copy. It is safe to call from any goroutine.
func (w *Watcher) Hashes() map[string]string {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make(map[string]string, len(w.files))
	for p, st := range w.files {
		if w.filter.userIgnored(p) {
			continue
		}
		out[p] = hex.EncodeToString(st.sum[:])
	}
	return out
}

// Close releases the inotify instance. Run closes the watcher when it
// returns; call Close only for a Watcher whose Run is never called.
func (w *Watcher) Close() error {
	var err error
	w.closeOnce.Do(func() {
		w.state.Lock()
		defer w.state.Unlock()
		w.closed.Store(true)
		w.timer.Stop()
		if w.nt != nil {
			err = w.nt.Close()
		}
	})
	return err
}

// Run watches until ctx is done and then returns nil after closing the
// watcher and the Changes channel. It returns ErrClosed if the watcher was
// closed or ran before.
func (w *Watcher) Run(ctx context.Context) error {
	if w.closed.Load() || !w.running.CompareAndSwap(false, true) {
		return ErrClosed
	}
	defer close(w.changes)
	defer w.Close()
	var ticker *time.Ticker
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	for {
		w.state.Lock()
		var (
			events  = w.eventsChan()
			errs    = w.errorsChan()
			tick    <-chan time.Time
			out     chan<- ChangeSet
			pending = w.pending
		)
		// The ticker runs only when polling or while a root or the
		// directory of a file given to Track is gone: an idle watcher with
		// inotify has no timer.
		switch {
		case w.nt == nil || len(w.gone) > 0 || len(w.lost) > 0:
			if ticker == nil {
				ticker = time.NewTicker(w.opts.PollInterval)
			}
			tick = ticker.C
		case ticker != nil:
			ticker.Stop()
			ticker = nil
		}
		if !pending.Empty() {
			out = w.changes
		}
		w.state.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok && w.closed.Load() {
				return nil
			}
			w.state.Lock()
			if ok {
				w.handleEvent(ev)
			} else {
				w.fallback("the inotify event channel closed")
			}
			w.state.Unlock()
		case err, ok := <-errs:
			if ok {
				w.state.Lock()
				w.handleError(err)
				w.state.Unlock()
			}
		case <-w.timer.C:
			w.state.Lock()
			w.flush()
			w.state.Unlock()
		case <-tick:
			w.state.Lock()
			if w.nt == nil {
				w.pollOnce()
			}
			w.findRoots()
			w.findLost()
			w.state.Unlock()
		case <-w.wake:
			// Track or AddRoot changed what to wait on.
		case out <- pending:
			w.state.Lock()
			w.pending = ChangeSet{}
			w.state.Unlock()
		}
	}
}
