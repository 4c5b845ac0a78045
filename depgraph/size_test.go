package depgraph

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeBigModule writes a generated module of about size bytes: a long
// table of coordinates, as generated layout code holds.
func writeBigModule(tb testing.TB, p string, size int) {
	tb.Helper()
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("\"\"\"Generated points.\"\"\"\n\nPOINTS = [\n")
	line := "    (1234.5678, -8765.4321, 0.001, 42),\n"
	for n := 0; n < size; n += len(line) {
		w.WriteString(line)
	}
	w.WriteString("]\n\n\ndef points():\n    return POINTS\n")
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestLargeFileTrackedByHash checks that a 50 MB module is not scanned:
// one note says so, the scan and an update after an edit allocate a small
// fraction of its size, and its importers are invalidated by an edit.
func TestLargeFileTrackedByHash(t *testing.T) {
	dir, g := project(t, map[string]string{
		"pdk/__init__.py": "",
		"pdk/use.py":      "from pdk.points import points\n\n\ndef cell(f):\n    return f\n\n\n@cell\ndef shape():\n    return points()\n\n\n@cell\ndef other():\n    return 1\n",
	}, Options{})
	big := filepath.Join(dir, "pdk", "points.py")
	writeBigModule(t, big, 50<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g, err := Scan(context.Background(), g.opts)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("the scan allocated %d MB for a 50 MB module", alloc>>20)
	}
	notes := g.Notes()
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "pdk/points.py: 52") || !strings.Contains(notes[0], "over the 4 MiB size limit") {
		t.Errorf("notes = %q", notes)
	}
	if fi := g.files["pdk/points.py"]; fi == nil || len(fi.Defs) != 0 || fi.Note == "" {
		t.Errorf("the big module was scanned: %+v", fi)
	}
	f, err := os.OpenFile(big, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n# one more line\nEXTRA = 1\n")
	f.Close()
	runtime.GC()
	runtime.ReadMemStats(&before)
	inv := update(t, g, big)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("the update allocated %d MB for a 50 MB module", alloc>>20)
	}
	same(t, "factories", inv.Factories, []string{"shape", "other"})
	if len(inv.Notes) != 1 {
		t.Errorf("invalidation notes %q", inv.Notes)
	}
	// The limit is an option: a tiny one notes the small module too, none
	// notes nothing (the big module is left out of this scan).
	if err := os.Remove(big); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit int64
		notes int
	}{{100, 1}, {-1, 0}} {
		opts := g.opts
		opts.MaxFileSize = tc.limit
		g2, err := Scan(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if n := g2.Notes(); len(n) != tc.notes {
			t.Errorf("limit %d: notes %q", tc.limit, n)
		}
	}
}

// BenchmarkLargeFile times a scan of a project holding one 50 MB module
// (tracked by its hash) and an update after an edit of it.
func BenchmarkLargeFile(b *testing.B) {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pdk"), 0o755); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "pdk", "use.py"), []byte("from pdk.points import points\n"), 0o644)
	big := filepath.Join(dir, "pdk", "points.py")
	writeBigModule(b, big, 50<<20)
	g, err := Scan(context.Background(), Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(50 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Update(context.Background(), []string{big}); err != nil {
			b.Fatal(err)
		}
		g.files["pdk/points.py"].Hash = "" // make the next update see a change
	}
}
