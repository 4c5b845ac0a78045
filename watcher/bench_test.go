package watcher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkSaveToChangeSet measures from a save (truncate and write) to its
// change set arriving, with the default debounce and no burst window.
func BenchmarkSaveToChangeSet(b *testing.B) {
	root := b.TempDir()
	for i := 0; i < 200; i++ {
		writeFileB(b, filepath.Join(root, fmt.Sprintf("d%d/m%d.py", i/20, i)), "x")
	}
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
	p := filepath.Join(root, "d3/m77.py")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		writeFileB(b, p, fmt.Sprintf("x = %d\n", i))
		select {
		case cs := <-w.Changes():
			if len(cs.Changes) != 1 {
				b.Fatalf("got %d changes", len(cs.Changes))
			}
		case <-time.After(5 * time.Second):
			b.Fatal("no change set")
		}
	}
}

func writeFileB(b *testing.B, p, content string) {
	b.Helper()
	if err := mkdirWrite(p, content); err != nil {
		b.Fatal(err)
	}
}
