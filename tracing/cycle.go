package tracing

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// Cycle follows the trace folders of one cycle's builds.
type Cycle struct {
	dir    string
	limits Limits
	show   func(context.Context, Frame)
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	frames  map[string]map[int]Frame // target -> seq -> frame read
	bad     map[string]int           // target -> records that did not parse
	pending *Frame                   // the newest frame not shown yet
	shown   map[string]int           // target -> the last seq shown
	wake    chan struct{}
}

func newCycle(ctx context.Context, dir string, targets []string, l Limits, show func(context.Context, Frame)) *Cycle {
	ctx, cancel := context.WithCancel(ctx)
	cy := &Cycle{dir: dir, limits: l, show: show, cancel: cancel,
		frames: map[string]map[int]Frame{}, bad: map[string]int{}, shown: map[string]int{}, wake: make(chan struct{}, 1)}
	if show == nil {
		return cy
	}
	// The watcher starts beside the build, off the path from a save to
	// it (making one takes a millisecond or two); the records written
	// before it watched are read when it starts.
	cy.wg.Add(2)
	go func() {
		defer cy.wg.Done()
		w, err := fsnotify.NewWatcher()
		if err != nil {
			return // nothing shown live; Take still finds every frame
		}
		defer w.Close()
		for _, t := range targets {
			w.Add(filepath.Join(dir, t))
		}
		cy.catchUp(targets)
		cy.watch(ctx, w)
	}()
	go func() { defer cy.wg.Done(); cy.showLoop(ctx) }()
	return cy
}

// catchUp reads the records already in the targets' folders: those
// written before the watcher was there (offer keeps the newest of each
// target, whatever the order).
func (cy *Cycle) catchUp(targets []string) {
	for _, t := range targets {
		ents, err := os.ReadDir(filepath.Join(cy.dir, t))
		if err != nil {
			continue
		}
		for _, e := range ents {
			if f, ok := cy.read(t, e.Name()); ok && cy.within(t, f) {
				cy.offer(f)
			}
		}
	}
}

// watch reads each record as it appears.
func (cy *Cycle) watch(ctx context.Context, w *fsnotify.Watcher) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.Errors:
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) {
				continue
			}
			target, name := filepath.Base(filepath.Dir(ev.Name)), filepath.Base(ev.Name)
			if f, ok := cy.read(target, name); ok && cy.within(target, f) {
				cy.offer(f)
			}
		}
	}
}

// read parses one record of target's folder, once.
func (cy *Cycle) read(target, name string) (Frame, bool) {
	if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
		return Frame{}, false
	}
	dir := filepath.Join(cy.dir, target)
	b, err := readSmall(filepath.Join(dir, name))
	if err != nil {
		return Frame{}, false
	}
	f, err := ParseRecord(target, dir, name, b)
	cy.mu.Lock()
	defer cy.mu.Unlock()
	if err != nil {
		cy.bad[target]++
		return Frame{}, false
	}
	if cy.frames[target] == nil {
		cy.frames[target] = map[int]Frame{}
	}
	if _, seen := cy.frames[target][f.Seq]; seen {
		return Frame{}, false
	}
	cy.frames[target][f.Seq] = f
	return f, true
}

// readSmall reads a file of at most maxRecord bytes (more is an error
// ParseRecord reports).
func readSmall(p string) ([]byte, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b := make([]byte, maxRecord+1)
	n, err := fh.Read(b)
	if n > 0 {
		err = nil
	}
	return b[:n], err
}

// within reports whether f is among the frames kept so far: the frames
// read with a lower seq leave room for it.
func (cy *Cycle) within(target string, f Frame) bool {
	cy.mu.Lock()
	defer cy.mu.Unlock()
	n, size := 0, int64(0)
	for seq, g := range cy.frames[target] {
		if seq <= f.Seq {
			n++
			size += g.Size
		}
	}
	return n <= cy.limits.Frames && size <= cy.limits.Bytes
}

// offer makes f the next frame to show, unless a newer one of its target
// is shown or waiting already.
func (cy *Cycle) offer(f Frame) {
	cy.mu.Lock()
	if f.Seq <= cy.shown[f.Target] || cy.pending != nil && cy.pending.Target == f.Target && cy.pending.Seq > f.Seq {
		cy.mu.Unlock()
		return
	}
	cy.pending = &f
	cy.mu.Unlock()
	select {
	case cy.wake <- struct{}{}:
	default:
	}
}

// showLoop shows the newest frame each time it is woken: frames that
// come faster than KLayout shows them are skipped on screen (and kept).
func (cy *Cycle) showLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-cy.wake:
		}
		cy.mu.Lock()
		f := cy.pending
		cy.pending = nil
		if f != nil {
			cy.shown[f.Target] = f.Seq
		}
		cy.mu.Unlock()
		if f != nil {
			cy.show(ctx, *f)
		}
	}
}

// Take returns the frames target's build traced, in order, within the
// limits, and how many it traced past them (counted by lywatch_trace, or
// found here, or records that did not parse). Call it once the build has
// ended. The files stay until the next cycle begins.
func (cy *Cycle) Take(target string) (frames []Frame, dropped int) {
	dir := filepath.Join(cy.dir, target)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		cy.read(target, e.Name())
	}
	if b, err := readSmall(filepath.Join(dir, ".state")); err == nil {
		dropped = parseState(b)
	}
	cy.mu.Lock()
	defer cy.mu.Unlock()
	dropped += cy.bad[target]
	all := make([]Frame, 0, len(cy.frames[target]))
	for _, f := range cy.frames[target] {
		all = append(all, f)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	var size int64
	for _, f := range all {
		if st, err := os.Stat(f.Path); err != nil || st.Size() != f.Size {
			dropped++ // its layout is missing or not what the record says
			continue
		}
		if len(frames) >= cy.limits.Frames || size+f.Size > cy.limits.Bytes {
			dropped++
			continue
		}
		size += f.Size
		frames = append(frames, f)
	}
	return frames, dropped
}

// stop ends the cycle's goroutines.
func (cy *Cycle) stop() {
	cy.cancel()
	cy.wg.Wait()
}
