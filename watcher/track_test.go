package watcher

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// modes are the two ways of watching every test here runs with.
var modes = []struct {
	name string
	poll bool
}{{"fsnotify", false}, {"poll", true}}

// atomicSave writes content to a temporary file beside p and renames it
// over p, as editors and most programs writing data files do.
func atomicSave(t *testing.T, p, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".part")
	writeFile(t, tmp, content)
	mustOK(t, os.Rename(tmp, p))
}

// TestTrackDataFile: a file given to Track that no include glob covers
// (inside the root, in a built-in ignored directory, .gitignored, outside
// the roots) is hashed as its baseline, not reported as created, and then
// reported on edit, atomic save (one change), delete and re-create.
func TestTrackDataFile(t *testing.T) {
	places := []struct {
		name  string
		files map[string]string
		path  func(h *harness, outside string) string
	}{
		{"inside", nil, func(h *harness, _ string) string { return h.path("pdk/gds/mmi.gds") }},
		{"built-in ignored", nil, func(h *harness, _ string) string { return h.path("build/data/taper.csv") }},
		{"gitignored", map[string]string{".gitignore": "*.yaml\n"}, func(h *harness, _ string) string { return h.path("pdk/ring.yaml") }},
		{"outside the roots", nil, func(_ *harness, outside string) string { return filepath.Join(outside, "data", "mmi.gds") }},
	}
	for _, m := range modes {
		for _, pl := range places {
			t.Run(m.name+"/"+pl.name, func(t *testing.T) {
				t.Parallel() // each waits out Settle after its delete
				files := map[string]string{"pdk/a.py": "a"}
				for k, v := range pl.files {
					files[k] = v
				}
				h := start(t, files, func(o *Options) { o.Poll = m.poll })
				p := pl.path(h, t.TempDir())
				writeFile(t, p, "v1")
				mustOK(t, h.w.Track([]string{p}))
				if got := h.w.Hashes()[p]; got != sum("v1") {
					t.Fatalf("Hashes()[%s] = %q after Track, want the baseline %q", p, got, sum("v1"))
				}
				h.quiet() // the baseline is not reported as created
				writeFile(t, p, "v2")
				h.expect("edit", Change{Path: p, Kind: Modified, OldHash: sum("v1"), NewHash: sum("v2")})
				atomicSave(t, p, "v3")
				h.expect("atomic save", Change{Path: p, Kind: Modified, OldHash: sum("v2"), NewHash: sum("v3")})
				mustOK(t, os.Remove(p))
				h.expect("delete", Change{Path: p, Kind: Deleted, OldHash: sum("v3")})
				writeFile(t, p, "v4")
				h.expect("re-create", Change{Path: p, Kind: Created, NewHash: sum("v4")})
				h.quiet()
			})
		}
	}
}

// TestTrackReplaced: a second Track call replaces the list. A file no
// longer listed stops being tracked silently, unless the globs cover it;
// a file newly listed is tracked from then on.
func TestTrackReplaced(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			h := start(t, map[string]string{"a.py": "a", "one.csv": "1", "two.csv": "2"}, func(o *Options) { o.Poll = m.poll })
			one, two, py := h.path("one.csv"), h.path("two.csv"), h.path("a.py")
			mustOK(t, h.w.Track([]string{one, py}))
			mustOK(t, h.w.Track([]string{two}))
			hashes := h.w.Hashes()
			if _, ok := hashes[one]; ok {
				t.Errorf("one.csv still tracked after a Track call without it")
			}
			if hashes[two] != sum("2") || hashes[py] != sum("a") {
				t.Errorf("Hashes() = %v, want two.csv and a.py", hashes)
			}
			writeFile(t, one, "1b") // untracked: nothing
			h.quiet()
			writeFile(t, two, "2b")
			writeFile(t, py, "a2") // the globs still cover it
			h.expect("after the second Track",
				Change{Path: py, Kind: Modified, OldHash: sum("a"), NewHash: sum("a2")},
				Change{Path: two, Kind: Modified, OldHash: sum("2"), NewHash: sum("2b")},
			)
			mustOK(t, h.w.Track(nil))
			writeFile(t, two, "2c")
			h.quiet()
		})
	}
}

// TestTrackIgnored: IgnorePath wins over Track (before or after it), and
// so does an exclude glob inside a root (a directory it names, too): both
// name what the build writes.
func TestTrackIgnored(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			files := map[string]string{"a.py": "a", "out/chip.gds": "g", "gen/t.csv": "t", "later.csv": "l", "kept.csv": "k"}
			h := start(t, files, func(o *Options) { o.Poll = m.poll; o.Exclude = []string{"gen"} })
			h.w.IgnorePath(h.path("out"))
			paths := []string{h.path("out/chip.gds"), h.path("gen/t.csv"), h.path("later.csv"), h.path("kept.csv")}
			mustOK(t, h.w.Track(paths))
			h.w.IgnorePath(h.path("later.csv"))
			got := h.w.Hashes()
			if len(got) != 2 || got[h.path("kept.csv")] != sum("k") {
				t.Errorf("Hashes() = %v, want a.py and kept.csv", got)
			}
			for _, rel := range []string{"out/chip.gds", "gen/t.csv", "later.csv"} {
				h.write(rel, "written by the build")
			}
			h.quiet()
			h.write("kept.csv", "k2")
			h.expect("the tracked one", Change{Path: h.path("kept.csv"), Kind: Modified, OldHash: sum("k"), NewHash: sum("k2")})
		})
	}
}

// TestTrackMissing: a file given to Track that is missing, in a directory
// that is missing too, is reported as created when it appears; its
// directory removed or renamed away, then made again, reports it deleted,
// then created, and it is watched again.
func TestTrackMissing(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // each waits out Settle after its deletes
			h := start(t, map[string]string{"a.py": "a"}, func(o *Options) { o.Poll = m.poll })
			outside := t.TempDir()
			p := filepath.Join(outside, "later", "deeper", "x.csv")
			q := h.path("build/gds/mmi.gds")
			mustOK(t, h.w.Track([]string{p, q}))
			h.quiet()
			writeFile(t, p, "x")
			h.expect("appeared outside", Change{Path: p, Kind: Created, NewHash: sum("x")})
			writeFile(t, q, "g")
			h.expect("appeared inside", Change{Path: q, Kind: Created, NewHash: sum("g")})
			// Gone and back: outside the roots, its directory removed with
			// the one above, or renamed away; inside, the ignored directory
			// above it removed or renamed away (seen from the root's watch).
			gone := []struct {
				what, file string
				do         func() error
			}{
				{"removed outside", p, func() error { return os.RemoveAll(filepath.Join(outside, "later")) }},
				{"renamed outside", p, func() error { return os.Rename(filepath.Dir(p), filepath.Dir(p)+".old") }},
				{"removed inside", q, func() error { return os.RemoveAll(h.path("build")) }},
				{"renamed inside", q, func() error { return os.Rename(h.path("build"), h.path("build.old")) }},
			}
			last := map[string]string{p: "x", q: "g"}
			for _, g := range gone {
				mustOK(t, g.do())
				h.expect(g.what, Change{Path: g.file, Kind: Deleted, OldHash: sum(last[g.file])})
				writeFile(t, g.file, g.what)
				h.expect("made again after "+g.what, Change{Path: g.file, Kind: Created, NewHash: sum(g.what)})
				writeFile(t, g.file, "edited") // and watched again
				h.expect("edit after "+g.what, Change{Path: g.file, Kind: Modified, OldHash: sum(g.what), NewHash: sum("edited")})
				last[g.file] = "edited"
			}
			h.quiet()
		})
	}
}

// TestTrackErrors: a directory is refused by name and the other paths
// are tracked all the same; a closed watcher says so.
func TestTrackErrors(t *testing.T) {
	h := start(t, map[string]string{"a.py": "a", "d.csv": "d", "sub/b.py": "b"}, nil)
	err := h.w.Track([]string{h.path("sub"), h.path("d.csv")})
	if err == nil || !strings.Contains(err.Error(), h.path("sub")) || !strings.Contains(err.Error(), "AddRoot") {
		t.Errorf("Track(directory): %v, want an error naming it and AddRoot", err)
	}
	if got := h.w.Hashes()[h.path("d.csv")]; got != sum("d") {
		t.Errorf("d.csv not tracked beside the refused directory")
	}
	w, err := New(Options{Roots: []string{t.TempDir()}})
	mustOK(t, err)
	mustOK(t, w.Close())
	if err := w.Track([]string{h.path("d.csv")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Track after Close: %v", err)
	}
	if err := w.AddRoot(h.root); !errors.Is(err, ErrClosed) {
		t.Errorf("AddRoot after Close: %v", err)
	}
}

// TestAddRoot: a root added while running is watched like the others
// (globs, built-in ignores, its .gitignore), the files it holds are the
// baseline and not reported as created, and adding it again, or a
// directory inside a root, changes nothing.
func TestAddRoot(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			h := start(t, map[string]string{"a.py": "a", "sub/s.py": "s"}, func(o *Options) { o.Poll = m.poll })
			other := t.TempDir() // an editable install's checkout
			for rel, c := range map[string]string{
				"my_pdk/cells.py": "c", "my_pdk/deep/er.py": "e", "my_pdk/README.md": "r",
				".gitignore": "gen_*.py\n", "my_pdk/gen_x.py": "g", "my_pdk/__pycache__/x.py": "p",
			} {
				writeFile(t, filepath.Join(other, rel), c)
			}
			mustOK(t, h.w.AddRoot(other))
			cells, deep := filepath.Join(other, "my_pdk/cells.py"), filepath.Join(other, "my_pdk/deep/er.py")
			got := h.w.Hashes()
			want := map[string]string{h.path("a.py"): sum("a"), h.path("sub/s.py"): sum("s"), cells: sum("c"), deep: sum("e")}
			if !maps.Equal(got, want) {
				t.Errorf("Hashes() after AddRoot = %v, want %v", got, want)
			}
			h.quiet() // nothing reported as created
			for _, again := range []string{other, filepath.Join(other, "my_pdk"), h.root, h.path("sub")} {
				mustOK(t, h.w.AddRoot(again))
			}
			if roots := h.roots(); !slices.Equal(roots, sortedOf(h.root, other)) {
				t.Errorf("roots after adding one inside another: %v", roots)
			}
			writeFile(t, cells, "c2")
			h.expect("edit under the new root", Change{Path: cells, Kind: Modified, OldHash: sum("c"), NewHash: sum("c2")})
			n := filepath.Join(other, "my_pdk/new/n.py")
			writeFile(t, n, "n")
			writeFile(t, filepath.Join(other, "my_pdk/gen_y.py"), "ignored")
			writeFile(t, filepath.Join(other, "my_pdk/notes.txt"), "not included")
			h.expect("new file under the new root", Change{Path: n, Kind: Created, NewHash: sum("n")})
			h.quiet()
		})
	}
}

// TestAddRootAround: a root added around the roots takes them in: their
// files stay known (not reported), its own are the baseline, and an edit
// is reported once.
func TestAddRootAround(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			parent := t.TempDir()
			proj := filepath.Join(parent, "proj")
			writeFile(t, filepath.Join(parent, "lib/l.py"), "l")
			writeFile(t, filepath.Join(proj, "p.py"), "p")
			h2 := startIn(t, proj, func(o *Options) { o.Poll = m.poll })
			mustOK(t, h2.w.AddRoot(parent))
			if roots := h2.roots(); !slices.Equal(roots, []string{parent}) {
				t.Errorf("roots = %v, want only %s", roots, parent)
			}
			want := map[string]string{filepath.Join(proj, "p.py"): sum("p"), filepath.Join(parent, "lib/l.py"): sum("l")}
			if got := h2.w.Hashes(); !maps.Equal(got, want) {
				t.Errorf("Hashes() = %v, want %v", got, want)
			}
			h2.quiet()
			writeFile(t, filepath.Join(proj, "p.py"), "p2")
			h2.expect("edit in the old root", Change{Path: filepath.Join(proj, "p.py"), Kind: Modified, OldHash: sum("p"), NewHash: sum("p2")})
			writeFile(t, filepath.Join(parent, "lib/l.py"), "l2")
			h2.expect("edit in the new root", Change{Path: filepath.Join(parent, "lib/l.py"), Kind: Modified, OldHash: sum("l"), NewHash: sum("l2")})
			h2.quiet()
		})
	}
}

// TestAddRootErrors: a missing directory or a file is refused with its name.
func TestAddRootErrors(t *testing.T) {
	h := start(t, map[string]string{"a.py": "a"}, nil)
	for _, p := range []string{filepath.Join(t.TempDir(), "missing"), h.path("a.py")} {
		if err := h.w.AddRoot(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("AddRoot(%s): %v, want an error naming it", p, err)
		}
	}
}

// TestTrackWatchLimit: Track and AddRoot that hit the inotify watch limit
// fall back to polling, and what they added is still reported.
func TestTrackWatchLimit(t *testing.T) {
	var fake *fakeNotifier
	h := startWith(t, map[string]string{"a.py": "a"}, nil, fakeFactory(1, &fake), nil)
	if h.w.Polling() {
		t.Fatal("polling before the limit")
	}
	outside, other := t.TempDir(), t.TempDir()
	p, q := filepath.Join(outside, "t.csv"), filepath.Join(other, "pkg/m.py")
	writeFile(t, p, "t")
	writeFile(t, q, "m")
	mustOK(t, h.w.Track([]string{p}))
	mustOK(t, h.w.AddRoot(other))
	if !h.w.Polling() {
		t.Fatal("not polling after the watch limit")
	}
	if logs := h.logs.String(); !strings.Contains(logs, "fs.inotify.max_user_watches") {
		t.Errorf("no line naming the sysctl:\n%s", logs)
	}
	h.quiet()
	writeFile(t, p, "t2")
	writeFile(t, q, "m2")
	h.collect(map[string]string{p: sum("t2"), q: sum("m2")})
	h.quiet()
}

// TestTrackConcurrent: Track, AddRoot and Hashes called from several
// goroutines while Run handles a stream of edits, of the files given to
// Track too (go test -race); the last list wins.
func TestTrackConcurrent(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			h := start(t, map[string]string{"a.py": "a"}, func(o *Options) { o.Poll = m.poll })
			outside := t.TempDir()
			var data []string
			for i := range 4 {
				p := filepath.Join(outside, fmt.Sprintf("d%d/x.csv", i))
				writeFile(t, p, "x")
				data = append(data, p)
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if err := h.w.Track(data[:(g+i)%len(data)+1]); err != nil {
							t.Error(err)
						}
						if i == g {
							if err := h.w.AddRoot(filepath.Dir(data[g])); err != nil {
								t.Error(err)
							}
						}
						_ = h.w.Hashes()
					}
				}()
			}
			for i := range 100 {
				h.write("a.py", fmt.Sprintf("a%d", i))
				writeFile(t, data[i%len(data)], fmt.Sprintf("x%d", i))
			}
			close(stop)
			wg.Wait()
			h.collect(map[string]string{h.path("a.py"): sum("a99")})
			mustOK(t, h.w.Track(data[:1]))
			writeFile(t, data[0], "x2")
			h.collect(map[string]string{data[0]: sum("x2")})
			h.quiet()
		})
	}
}

// startIn is start on an existing directory.
func startIn(t *testing.T, root string, edit func(*Options)) *harness {
	t.Helper()
	h := start(t, nil, func(o *Options) {
		o.Roots = []string{root}
		if edit != nil {
			edit(o)
		}
	})
	h.root = root
	return h
}

// roots returns the watcher's roots.
func (h *harness) roots() []string {
	h.w.state.Lock()
	defer h.w.state.Unlock()
	return slices.Clone(h.w.filter.roots)
}

func sortedOf(s ...string) []string {
	slices.Sort(s)
	return s
}
