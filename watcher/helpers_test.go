package watcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor is how long a test waits for an expected change set.
const waitFor = 10 * time.Second

// testOptions are quick windows for tests; the defaults are tested apart.
func testOptions(root string) Options {
	return Options{
		Roots:       []string{root},
		Debounce:    5 * time.Millisecond,
		BurstWindow: 20 * time.Millisecond,
		// Long enough that a loaded machine pausing the test between the
		// steps of a save cannot split it; it only delays files that read
		// empty or missing.
		Settle:       500 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
	}
}

// harness runs a Watcher for one test.
type harness struct {
	t    *testing.T
	root string
	w    *Watcher
	logs *logBuf

	sentinel int
}

type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// start builds the tree from files (path -> content, "" path means none),
// starts a watcher on it with opts adjusted by edit, and stops it at cleanup.
func start(t *testing.T, files map[string]string, edit func(*Options)) *harness {
	t.Helper()
	return startWith(t, files, edit, newFSNotifier, nil)
}

// startWith is start with a notifier factory and a hook run before Run.
func startWith(t *testing.T, files map[string]string, edit func(*Options), nf newNotifierFunc, before func(*Watcher)) *harness {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		writeFile(t, filepath.Join(root, p), c)
	}
	h := &harness{t: t, root: root, logs: &logBuf{}}
	o := testOptions(root)
	o.Logf = h.logs.logf
	if edit != nil {
		edit(&o)
	}
	w, err := newWatcher(o, nf)
	if err != nil {
		t.Fatal(err)
	}
	h.w = w
	if before != nil {
		before(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

func (h *harness) path(rel string) string { return filepath.Join(h.root, filepath.FromSlash(rel)) }

func (h *harness) write(rel, content string) { writeFile(h.t, h.path(rel), content) }

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// next waits for the next change set.
func (h *harness) next() ChangeSet {
	h.t.Helper()
	select {
	case cs, ok := <-h.w.Changes():
		if !ok {
			h.t.Fatal("Changes closed")
		}
		return cs
	case <-time.After(waitFor):
		h.t.Fatalf("no change set within %v; log:\n%s", waitFor, h.logs)
	}
	return ChangeSet{}
}

// expect waits for the next change set and fails the test, saying what
// was awaited, unless it holds exactly the changes want.
func (h *harness) expect(what string, want ...Change) ChangeSet {
	h.t.Helper()
	cs := h.next()
	if !slices.Equal(cs.Changes, want) {
		h.t.Fatalf("%s: got %s\nwant %s", what, describe(cs), describe(ChangeSet{Changes: want}))
	}
	return cs
}

// quiet proves no change set is pending: it writes a sentinel file and
// checks that the next set holds only the sentinel. Every path the test
// touched before is then known to have produced nothing more.
func (h *harness) quiet() {
	h.t.Helper()
	h.sentinel++
	rel := fmt.Sprintf("zz_sentinel_%d.py", h.sentinel)
	h.write(rel, "sentinel")
	h.expect("only the sentinel", Change{Path: h.path(rel), Kind: Created, NewHash: sum("sentinel")})
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func describe(cs ChangeSet) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("rescan=%v [", cs.Rescan))
	for i, c := range cs.Changes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(fmt.Sprintf("%s %s %.8s->%.8s", c.Kind, filepath.Base(c.Path), c.OldHash, c.NewHash))
	}
	b.WriteString("]")
	return b.String()
}

func mkdirWrite(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}
