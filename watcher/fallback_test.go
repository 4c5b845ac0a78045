package watcher

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// fakeNotifier wraps the real one: it can refuse watches beyond a limit
// with ENOSPC, as inotify does, drop events, and inject errors.
type fakeNotifier struct {
	inner   notifier
	limit   int
	adds    int
	events  chan fsnotify.Event
	errs    chan error
	inject  chan error
	drop    atomic.Bool
	dropped chan string
	once    sync.Once
}

func fakeFactory(limit int, got **fakeNotifier) newNotifierFunc {
	return func() (notifier, error) {
		inner, err := newFSNotifier()
		if err != nil {
			return nil, err
		}
		f := &fakeNotifier{
			inner: inner, limit: limit,
			events: make(chan fsnotify.Event), errs: make(chan error),
			inject: make(chan error), dropped: make(chan string, 100),
		}
		go f.forwardEvents()
		go f.forwardErrors()
		*got = f
		return f, nil
	}
}

func (f *fakeNotifier) forwardEvents() {
	defer close(f.events)
	for ev := range f.inner.Events() {
		if f.drop.Load() {
			select {
			case f.dropped <- ev.Name:
			default:
			}
			continue
		}
		f.events <- ev
	}
}

func (f *fakeNotifier) forwardErrors() {
	defer close(f.errs)
	for {
		select {
		case err, ok := <-f.inner.Errors():
			if !ok {
				return
			}
			f.errs <- err
		case err := <-f.inject:
			f.errs <- err
		}
	}
}

func (f *fakeNotifier) Add(dir string) error {
	if f.limit > 0 && f.adds >= f.limit {
		return &os.SyscallError{Syscall: "inotify_add_watch", Err: syscall.ENOSPC}
	}
	f.adds++
	return f.inner.Add(dir)
}
func (f *fakeNotifier) Remove(dir string) error       { return f.inner.Remove(dir) }
func (f *fakeNotifier) Events() <-chan fsnotify.Event { return f.events }
func (f *fakeNotifier) Errors() <-chan error          { return f.errs }
func (f *fakeNotifier) Close() error {
	var err error
	f.once.Do(func() { err = f.inner.Close() })
	return err
}

func TestWatchLimitAtStart(t *testing.T) {
	var fake *fakeNotifier
	files := map[string]string{"a.py": "a", "d1/b.py": "b", "d2/c.py": "c", "d3/d.py": "d"}
	h := startWith(t, files, nil, fakeFactory(2, &fake), nil)
	if !h.w.Polling() {
		t.Fatal("not polling after the watch limit")
	}
	if n := len(h.w.Hashes()); n != 4 {
		t.Errorf("Hashes has %d files, want 4", n)
	}
	logs := h.logs.String()
	t.Log(logs)
	if n := len(strings.Split(logs, "\n")); n != 1 || !strings.Contains(logs, "fs.inotify.max_user_watches") {
		t.Errorf("want one line naming fs.inotify.max_user_watches, got:\n%s", logs)
	}
	h.write("d3/d.py", "d2")
	h.expect("edit beyond the limit", Change{Path: h.path("d3/d.py"), Kind: Modified, OldHash: sum("d"), NewHash: sum("d2")})
	h.quiet()
}

func TestWatchLimitLater(t *testing.T) {
	var fake *fakeNotifier
	h := startWith(t, map[string]string{"a.py": "a", "d1/b.py": "b"}, nil, fakeFactory(2, &fake), nil)
	if h.w.Polling() {
		t.Fatal("polling before the limit")
	}
	h.write("new/deeper/n.py", "n")
	h.collect(map[string]string{h.path("new/deeper/n.py"): sum("n")})
	if logs := h.logs.String(); !strings.Contains(logs, "fs.inotify.max_user_watches") {
		t.Errorf("no line naming the sysctl:\n%s", logs)
	}
	h.write("a.py", "a2")
	h.collect(map[string]string{h.path("a.py"): sum("a2")})
	h.quiet()
}

func TestOverflowRescans(t *testing.T) {
	var fake *fakeNotifier
	h := startWith(t, map[string]string{"a.py": "a", "d/b.py": "b"}, nil, fakeFactory(0, &fake), nil)
	fake.drop.Store(true)
	h.write("d/b.py", "b2")
	h.write("d/c.py", "c")
	select {
	case <-fake.dropped:
	case <-time.After(waitFor):
		t.Fatal("no event dropped")
	}
	fake.inject <- fsnotify.ErrEventOverflow
	cs := h.expect("after the overflow",
		Change{Path: h.path("d/b.py"), Kind: Modified, OldHash: sum("b"), NewHash: sum("b2")},
		Change{Path: h.path("d/c.py"), Kind: Created, NewHash: sum("c")},
	)
	fake.drop.Store(false)
	if !cs.Rescan {
		t.Fatalf("not marked as a rescan: %s", describe(cs))
	}
	h.quiet()
}
