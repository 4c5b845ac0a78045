package tracing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkTake is lywatch's side of a build that traced 100 frames:
// reading their records and checking their layouts when the build ends.
func BenchmarkTake(b *testing.B) {
	ch, err := Open(Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer ch.Close()
	layout := make([]byte, 64<<10)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cy, _, err := ch.Begin(context.Background(), i+1, []string{"chip"}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(ch.Dir(), "cycles", fmt.Sprint(i+1), "chip")
		for s := 1; s <= 100; s++ {
			name := fmt.Sprintf("%06d.gds", s)
			os.WriteFile(filepath.Join(dir, name), layout, 0o644)
			rec := fmt.Sprintf(`{"seq": %d, "file": %q, "size": %d, "time": 1700000000.5, "label": "step"}`, s, name, len(layout))
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d.json", s)), []byte(rec), 0o644)
		}
		b.StartTimer()
		frames, _ := cy.Take("chip")
		if len(frames) != 100 {
			b.Fatalf("%d frames", len(frames))
		}
	}
}
