package watcher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkSaveToChangeSet measures from a save (truncate and write) to its
// change set arriving, with the default debounce and no burst window.
func BenchmarkSaveToChangeSet(b *testing.B) {
	root := benchTree(b)
	benchSave(b, root, filepath.Join(root, "d3/m77.py"), nil)
}

// BenchmarkSaveToChangeSetTracked is BenchmarkSaveToChangeSet for a data
// file outside the roots given to Track, beside 20 others.
func BenchmarkSaveToChangeSetTracked(b *testing.B) {
	root, data := benchTree(b), b.TempDir()
	var paths []string
	for i := 0; i < 20; i++ {
		p := filepath.Join(data, fmt.Sprintf("gds/c%d.gds", i))
		writeFileB(b, p, "x")
		paths = append(paths, p)
	}
	benchSave(b, root, paths[7], func(w *Watcher) error { return w.Track(paths) })
}

// benchTree makes a tree of 200 Python files in 10 directories.
func benchTree(b *testing.B) string {
	root := b.TempDir()
	for i := 0; i < 200; i++ {
		writeFileB(b, filepath.Join(root, fmt.Sprintf("d%d/m%d.py", i/20, i)), "x")
	}
	return root
}

// benchSave runs a watcher on root (setup, if not nil, called while it
// runs) and times saves of p to their change sets.
func benchSave(b *testing.B, root, p string, setup func(*Watcher) error) {
	d := DefaultDebounce
	if s := os.Getenv("LYWATCH_BENCH_DEBOUNCE"); s != "" {
		d, _ = time.ParseDuration(s)
	}
	w, err := New(Options{Roots: []string{root}, Debounce: d, BurstWindow: d})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	if setup != nil {
		if err := setup(w); err != nil {
			b.Fatal(err)
		}
	}
	var gap time.Duration // LYWATCH_BENCH_GAP: idle time between saves, not timed
	if s := os.Getenv("LYWATCH_BENCH_GAP"); s != "" {
		gap, _ = time.ParseDuration(s)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if gap > 0 {
			b.StopTimer()
			time.Sleep(gap)
			b.StartTimer()
		}
		t0 := time.Now()
		writeFileB(b, p, fmt.Sprintf("x = %d\n", i))
		select {
		case cs := <-w.Changes():
			if len(cs.Changes) != 1 {
				b.Fatalf("got %d changes", len(cs.Changes))
			}
		case <-time.After(5 * time.Second):
			b.Fatal("no change set")
		}
		lat = append(lat, time.Since(t0))
	}
	// The median and p90 of the saves: on a shared machine the mean
	// (ns/op) follows the few saves that waited for a core.
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*9/10].Nanoseconds()), "p90-ns")
}

func writeFileB(b *testing.B, p, content string) {
	b.Helper()
	if err := mkdirWrite(p, content); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHashFile is the rehash of one 4 KiB source file, done for every
// candidate at the end of a quiet window.
func BenchmarkHashFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "m.py")
	if err := mkdirWrite(p, string(make([]byte, 4096))); err != nil {
		b.Fatal(err)
	}
	w := &Watcher{buf: make([]byte, 32<<10)}
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.hashFile(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTracked is the decision made for every event: include globs,
// built-in ignores, IgnorePath, exclude globs and three levels of .gitignore.
func BenchmarkTracked(b *testing.B) {
	root := b.TempDir()
	gi := "*.log\n/dist/\nnotes/\n!keep.py\n**/gen_*.py\nsub/*.tmp\n"
	for _, d := range []string{"", "pdk", "pdk/cells"} {
		if err := mkdirWrite(filepath.Join(root, d, ".gitignore"), gi); err != nil {
			b.Fatal(err)
		}
	}
	o, err := Options{Roots: []string{root}, Exclude: []string{"vendor/**", "**/test_*.py"}}.withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	f := newFilter(o, []string{root})
	for _, d := range []string{root, root + "/pdk", root + "/pdk/cells"} {
		f.loadDir(d)
	}
	f.ignorePath(root + "/build/chip.gds")
	paths := []string{
		root + "/pdk/cells/waveguide.py",
		root + "/pdk/cells/.waveguide.py.swp",
		root + "/pdk/cells/gen_ring.py",
		root + "/pdk/cells/test_ring.py",
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.tracked(paths[i%len(paths)], root)
		i++
	}
}

// BenchmarkRulesMatch matches a path against a 40-line .gitignore.
func BenchmarkRulesMatch(b *testing.B) {
	var gi []byte
	for i := 0; i < 10; i++ {
		gi = fmt.Appendf(gi, "*.ext%d\n/top%d/\n**/deep%d/**\nsub%d/file*.py\n", i, i, i, i)
	}
	r, err := ParseRules(".gitignore", gi)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Match("pdk/cells/sub/waveguide.py", false)
	}
}
