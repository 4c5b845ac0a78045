package watcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// collect receives change sets until every path in want has reached its
// wanted hash ("" for deleted), and returns how many sets that took.
func (h *harness) collect(want map[string]string) int {
	h.t.Helper()
	got := map[string]string{}
	n := 0
	for {
		done := true
		for p, s := range want {
			if g, ok := got[p]; !ok || g != s {
				done = false
			}
		}
		if done {
			return n
		}
		cs := h.next()
		n++
		for _, c := range cs.Changes {
			got[c.Path] = c.NewHash
		}
	}
}

func TestNewNestedDirectoryWrittenAtOnce(t *testing.T) {
	t.Run("fsnotify", func(t *testing.T) { testNewNestedDirectoryWrittenAtOnce(t, false) })
	t.Run("poll", func(t *testing.T) { testNewNestedDirectoryWrittenAtOnce(t, true) })
}

func testNewNestedDirectoryWrittenAtOnce(t *testing.T, poll bool) {
	h := start(t, map[string]string{"a.py": "a"}, func(o *Options) { o.Poll = poll })
	want := map[string]string{}
	for i := 0; i < 5; i++ {
		rel := fmt.Sprintf("new/d%d/e/f/m%d.py", i, i)
		h.write(rel, rel)
		want[h.path(rel)] = sum(rel)
	}
	h.collect(want)
	// The new directories are watched: a later edit inside is seen.
	h.write("new/d3/e/f/m3.py", "edited")
	cs := h.next()
	if len(cs.Changes) != 1 || cs.Changes[0].Kind != Modified || cs.Changes[0].NewHash != sum("edited") {
		t.Fatalf("edit in new directory: %s", describe(cs))
	}
	h.quiet()
}

func TestBurstOfSaves(t *testing.T) {
	h := start(t, map[string]string{"a.py": "start"}, func(o *Options) {
		o.BurstWindow = 300 * time.Millisecond
	})
	deadline := time.Now().Add(time.Second)
	last := ""
	for i := 0; i < 200; i++ {
		last = fmt.Sprintf("x = %d\n", i)
		h.write("a.py", last)
	}
	if time.Now().After(deadline) {
		t.Skip("200 saves took more than a second on this machine")
	}
	n := h.collect(map[string]string{h.path("a.py"): sum(last)})
	if n > 2 {
		t.Errorf("200 saves gave %d change sets, want at most 2", n)
	}
	if got := h.w.Hashes()[h.path("a.py")]; got != sum(last) {
		t.Errorf("last hash %s, want the final content's", got)
	}
	h.quiet()
}

func TestBurstOfSavesDefaults(t *testing.T) {
	// 200 saves spread over most of a second, with the default windows.
	h := start(t, map[string]string{"a.py": "start"}, func(o *Options) {
		o.Debounce, o.BurstWindow, o.Settle = 0, 0, 0
	})
	last := ""
	tick := time.NewTicker(4 * time.Millisecond)
	defer tick.Stop()
	var maxGap time.Duration
	prev := time.Now()
	for i := 0; i < 200; i++ {
		<-tick.C
		last = fmt.Sprintf("x = %d\n", i)
		h.write("a.py", last)
		now := time.Now()
		maxGap, prev = max(maxGap, now.Sub(prev)), now
	}
	if maxGap >= DefaultBurstWindow/2 {
		t.Skipf("the machine paused the saves for %v", maxGap)
	}
	n := h.collect(map[string]string{h.path("a.py"): sum(last)})
	if n > 2 {
		t.Errorf("200 saves gave %d change sets, want at most 2", n)
	}
	h.quiet()
}

func TestNothingChanged(t *testing.T) {
	h := start(t, map[string]string{"a.py": "a", "b.py": "b", "c.py": "c"}, nil)
	// Same bytes, touch, chmod.
	h.write("a.py", "a")
	now := time.Now()
	mustOK(t, os.Chtimes(h.path("b.py"), now, now))
	mustOK(t, os.Chmod(h.path("b.py"), 0o600))
	// Rename away and back; rewrite with the same bytes atomically.
	away := filepath.Join(t.TempDir(), "c.py")
	mustOK(t, os.Rename(h.path("c.py"), away))
	mustOK(t, os.Rename(away, h.path("c.py")))
	h.write("c.py.tmp", "c")
	mustOK(t, os.Rename(h.path("c.py.tmp"), h.path("c.py")))
	// Created and removed within one window.
	h.write("d.py", "d")
	mustOK(t, os.Remove(h.path("d.py")))
	h.quiet()
}

func TestIgnored(t *testing.T) {
	files := map[string]string{
		"a.py": "a", ".gitignore": "gen/\n*_gen.py\n!keep_gen.py\n/top.py\n",
		"sub/.gitignore": "local.py\n", "sub/b.py": "b", "out/o.py": "o",
	}
	h := start(t, files, func(o *Options) { o.Exclude = []string{"excluded/**", "**/*_test.py"} })
	h.w.IgnorePath(h.path("out"))
	h.w.IgnorePath(h.path("written.py"))
	for _, rel := range []string{
		"written.py", "out/o.py", "out/new.py", // IgnorePath
		".a.py.swp", "a.py~", ".#a.py", "a.py___jb_tmp___", "4913", // editors
		"__pycache__/a.py", "build/chip.py", "build/session/x.py", ".git/hooks/h.py", // built in
		"gen/g.py", "x_gen.py", "sub/x_gen.py", "top.py", "sub/local.py", // .gitignore
		"excluded/e.py", "sub/y_test.py", // exclude globs
		"notes.txt", // not included
	} {
		h.write(rel, "ignored")
	}
	h.quiet()
	// Negation and anchoring: these are tracked.
	h.write("sub/keep_gen.py", "k")
	h.write("sub/top.py", "t")
	h.collect(map[string]string{h.path("sub/keep_gen.py"): sum("k"), h.path("sub/top.py"): sum("t")})
	h.quiet()
}

// TestIgnoreFileEdited: a .gitignore, and .git/info/exclude (though
// everything else in .git is ignored), are honoured while running: what
// they come to name drops out silently, what they stop naming comes back
// as created.
func TestIgnoreFileEdited(t *testing.T) {
	for _, name := range []string{".gitignore", ".git/info/exclude"} {
		for _, poll := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/poll=%t", name, poll), func(t *testing.T) { testIgnoreFileEdited(t, name, poll) })
		}
	}
}

func testIgnoreFileEdited(t *testing.T, name string, poll bool) {
	files := map[string]string{"a.py": "a", "skip.py": "s"}
	if name == ".git/info/exclude" {
		files[name] = "# git ls-files --exclude-from\n" // a repository has one
	}
	h := start(t, files, func(o *Options) { o.Poll = poll })
	h.write(name, "skip.py\n")
	h.quiet() // skip.py is dropped silently, not reported
	if _, ok := h.w.Hashes()[h.path("skip.py")]; ok {
		t.Errorf("skip.py still tracked after %s names it", name)
	}
	h.write("skip.py", "s2")
	h.quiet()
	mustOK(t, os.Remove(h.path(name)))
	h.expect("after removing "+name, Change{Path: h.path("skip.py"), Kind: Created, NewHash: sum("s2")})
	h.write(name, "a.py\n") // made again
	h.quiet()
	if _, ok := h.w.Hashes()[h.path("a.py")]; ok {
		t.Errorf("a.py still tracked after a new %s names it", name)
	}
	if name == ".git/info/exclude" {
		// Nothing else in the watched .git/info is tracked.
		h.write(".git/info/stray.py", "x")
		h.write(".git/info/sub/deeper.py", "y")
		h.quiet()
	}
}

// TestRootRemovedAndRecreated: a watched root that is deleted, or renamed
// away, and then made again (a fresh checkout, a restored backup) is
// watched again, and what it holds then is reported as created.
func TestRootRemovedAndRecreated(t *testing.T) {
	for _, poll := range []bool{false, true} {
		for _, how := range []string{"removed", "renamed"} {
			t.Run(fmt.Sprintf("poll=%t/%s", poll, how), func(t *testing.T) {
				h := start(t, map[string]string{"a.py": "a"}, func(o *Options) { o.Poll = poll })
				if how == "removed" {
					mustOK(t, os.RemoveAll(h.root))
				} else {
					mustOK(t, os.Rename(h.root, h.root+".old"))
				}
				h.expect("root "+how, Change{Path: h.path("a.py"), Kind: Deleted, OldHash: sum("a")})
				mustOK(t, mkdirWrite(h.path("pkg/b.py"), "b"))
				h.expect("root made again", Change{Path: h.path("pkg/b.py"), Kind: Created, NewHash: sum("b")})
				h.write("pkg/b.py", "b2") // and it is watched, subdirectories too
				h.expect("edit in the new root", Change{Path: h.path("pkg/b.py"), Kind: Modified, OldHash: sum("b"), NewHash: sum("b2")})
				h.quiet()
			})
		}
	}
}

func TestDirectoryRemovedAndRenamed(t *testing.T) {
	t.Run("fsnotify", func(t *testing.T) { testDirectoryRemovedAndRenamed(t, false) })
	t.Run("poll", func(t *testing.T) { testDirectoryRemovedAndRenamed(t, true) })
}

func testDirectoryRemovedAndRenamed(t *testing.T, poll bool) {
	h := start(t, map[string]string{"d/a.py": "a", "d/e/b.py": "b", "k.py": "k"}, func(o *Options) { o.Poll = poll })
	mustOK(t, os.Rename(h.path("d"), h.path("moved")))
	h.expect("rename dir",
		Change{Path: h.path("d/a.py"), Kind: Deleted, OldHash: sum("a")},
		Change{Path: h.path("d/e/b.py"), Kind: Deleted, OldHash: sum("b")},
		Change{Path: h.path("moved/a.py"), Kind: Created, NewHash: sum("a")},
		Change{Path: h.path("moved/e/b.py"), Kind: Created, NewHash: sum("b")},
	)
	// The moved tree is watched under its new name.
	h.write("moved/e/b.py", "b2")
	h.expect("edit in moved dir", Change{Path: h.path("moved/e/b.py"), Kind: Modified, OldHash: sum("b"), NewHash: sum("b2")})
	mustOK(t, os.RemoveAll(h.path("moved")))
	h.expect("remove dir",
		Change{Path: h.path("moved/a.py"), Kind: Deleted, OldHash: sum("a")},
		Change{Path: h.path("moved/e/b.py"), Kind: Deleted, OldHash: sum("b2")},
	)
	// A directory moved in from outside is scanned.
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "in/c.py"), "c")
	mustOK(t, os.Rename(filepath.Join(outside, "in"), h.path("in")))
	h.expect("dir moved in", Change{Path: h.path("in/c.py"), Kind: Created, NewHash: sum("c")})
	h.quiet()
}

func TestEmptyWhileWriting(t *testing.T) {
	// A writer that truncates, waits longer than the debounce, then writes:
	// the settle wait keeps the empty state out of the change sets.
	settling := make(chan struct{}, 1)
	h := startWith(t, map[string]string{"a.py": "a"}, func(o *Options) { o.Settle = time.Second }, newFSNotifier,
		func(w *Watcher) {
			w.onSettle = func() {
				select {
				case settling <- struct{}{}:
				default:
				}
			}
		})
	f, err := os.OpenFile(h.path("a.py"), os.O_WRONLY|os.O_TRUNC, 0)
	mustOK(t, err)
	select {
	case <-settling:
	case <-time.After(waitFor):
		t.Fatal("no settle wait for a file that reads empty")
	}
	_, err = f.WriteString("a2")
	mustOK(t, err)
	mustOK(t, f.Close())
	h.expect("after the write", Change{Path: h.path("a.py"), Kind: Modified, OldHash: sum("a"), NewHash: sum("a2")})
	h.quiet()
}

func TestLogsAndOptions(t *testing.T) {
	if _, err := New(Options{Roots: []string{filepath.Join(t.TempDir(), "missing")}}); err == nil {
		t.Error("missing root: no error")
	}
	if _, err := New(Options{Include: []string{"[a-"}}); err == nil || !strings.Contains(err.Error(), "glob") {
		t.Errorf("bad glob: %v", err)
	}
	if _, err := New(Options{Debounce: -1}); err == nil {
		t.Error("negative debounce: no error")
	}
}

func TestMaxWaitBoundsAStream(t *testing.T) {
	h := start(t, map[string]string{"a.py": "a"}, func(o *Options) {
		o.BurstWindow, o.MaxWait = 200*time.Millisecond, 300*time.Millisecond
	})
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(waitFor)
	sets := 0
	for i := 0; ; i++ {
		<-tick.C
		h.write("a.py", fmt.Sprintf("x = %d\n", i))
		select {
		case <-h.w.Changes():
			// The first set comes after the debounce; the second, while
			// writes 5 ms apart keep the burst window from closing, only
			// because of MaxWait.
			if sets++; sets == 2 {
				return
			}
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no change set while events kept coming")
		}
	}
}

func TestRunAndClose(t *testing.T) {
	root := t.TempDir()
	w, err := New(Options{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, w.Close())
	if err := w.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: %v", err)
	}
	w, err = New(Options{Roots: []string{root}, Poll: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, ok := <-w.Changes(); ok {
		t.Error("Changes not closed after Run")
	}
	if err := w.Run(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("second Run: %v", err)
	}
}
