//go:build unix

package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// changedPaths returns n paths of the length a PDK checkout has (about 75
// bytes): 6,000 of them make 450 KB, past Linux's 128 KiB for one
// variable.
func changedPaths(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("/home/designer/projects/acme-pdk/acme_pdk/components/lib%02d/cell_%04d.py", i%40, i)
	}
	return out
}

// eventsJSON is the events file the loop writes: {"changes":[{"path":...}]}.
func eventsJSON(t *testing.T, paths []string) []byte {
	type change struct {
		Path string `json:"path"`
		Kind string `json:"kind"`
	}
	var doc struct {
		Changes []change `json:"changes"`
	}
	for _, p := range paths {
		doc.Changes = append(doc.Changes, change{p, "modified"})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLargeChangeSet: past the cap LYWATCH_CHANGED holds "@" and the
// events file's path, and the events file holds every path, whether the
// request brings its own events or not; below it the paths are listed.
func TestLargeChangeSet(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		tests := []struct {
			name     string
			n        int
			events   bool
			inEnv    bool // the paths are in LYWATCH_CHANGED
			wantFile bool
		}{
			{"6000 paths with events", 6000, true, false, true},
			{"6000 paths without events", 6000, false, false, true},
			{"100 paths", 100, true, true, true},
			{"100 paths without events", 100, false, true, false},
		}
		script := `printf '%s' "$LYWATCH_CHANGED" > changed; printf '%s' "$LYWATCH_EVENTS_FILE" > name; ` +
			`if [ -n "$LYWATCH_EVENTS_FILE" ]; then cat "$LYWATCH_EVENTS_FILE" > events; fi`
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				var out testsupport.Buffer
				r := newRunner(&out)
				r.Dir = dir
				paths := changedPaths(tt.n)
				req := Request{Command: []string{"sh", "-c", script}, Changed: paths}
				if tt.events {
					req.Events = eventsJSON(t, paths)
				}
				res := r.Run(context.Background(), req)
				if !res.OK() {
					t.Fatalf("build failed: %+v\n%s", res, out.String())
				}
				read := func(name string) string {
					b, _ := os.ReadFile(filepath.Join(dir, name))
					return string(b)
				}
				changed, name := read("changed"), read("name")
				if tt.inEnv {
					if changed != strings.Join(paths, "\n") {
						t.Errorf("LYWATCH_CHANGED holds %d bytes, want the %d paths", len(changed), tt.n)
					}
				} else if changed != "@"+name || name == "" {
					t.Errorf("LYWATCH_CHANGED = %.100q, want \"@\" and the events file %q", changed, name)
				}
				if (name != "") != tt.wantFile {
					t.Fatalf("LYWATCH_EVENTS_FILE = %q, want one: %v", name, tt.wantFile)
				}
				if !tt.wantFile {
					return
				}
				var doc struct {
					Changes []struct {
						Path string `json:"path"`
					} `json:"changes"`
				}
				if err := json.Unmarshal([]byte(read("events")), &doc); err != nil {
					t.Fatalf("events file: %v", err)
				}
				var got []string
				for _, c := range doc.Changes {
					got = append(got, c.Path)
				}
				if !slices.Equal(got, paths) {
					t.Errorf("events file holds %d paths, want the %d given", len(got), len(paths))
				}
			})
		}
	})
}
