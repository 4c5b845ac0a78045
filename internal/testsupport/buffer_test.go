package testsupport

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestBufferEmpty(t *testing.T) {
	var b Buffer
	if got := b.String(); got != "" {
		t.Fatalf("zero Buffer holds %q", got)
	}
}

func TestBufferKeepsWritesInOrder(t *testing.T) {
	var b Buffer
	for _, s := range []string{"one ", "", "two\n", "three"} {
		n, err := io.WriteString(&b, s)
		if err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := b.String(), "one two\nthree"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

// TestBufferConcurrentWriters writes whole lines from many goroutines (run
// with -race to check the locking): every line must arrive intact.
func TestBufferConcurrentWriters(t *testing.T) {
	const writers, lines = 8, 200
	var b Buffer
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(&b, "w%d-%d\n", w, i)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var want []string
	for w := range writers {
		for i := range lines {
			want = append(want, fmt.Sprintf("w%d-%d", w, i))
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d: got %q, want %q", i, got[i], want[i])
		}
	}
}
