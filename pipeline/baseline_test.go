package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/loop"
)

// TestBaselineFindsAnEditTheStatCacheMisses: the watcher's first scan
// (Options.Baseline) is compared with the session's file table. A file
// whose content differs from the manifest's although its stat data does
// not (an edit made while lywatch starts, within the same timestamp, of
// the same size) makes its target stale: it is built, not served.
func TestBaselineFindsAnEditTheStatCacheMisses(t *testing.T) {
	edited := strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1)
	tests := []struct {
		name     string
		baseline string // the first scan's content of pdk/parts.py
		built    bool
	}{
		{"first scan agrees with the session", pdk["pdk/parts.py"], false},
		{"first scan saw an edit", edited, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proj := testProject(t, copyMap(pdk), chipTarget())
			// Old files: the session trusts their stat data (nothing was
			// written within a second of the hashing, nor after the save).
			old := time.Now().Add(-2 * time.Hour)
			for name := range pdk {
				if err := os.Chtimes(filepath.Join(proj.Dir, name), old, old); err != nil {
					t.Fatal(err)
				}
			}
			st := newFakeStore(t)
			ctx := context.Background()
			p := open(t, Options{Project: proj, Store: st})
			p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
			build(t, p, "chip", map[string][]string{"chip": {"straight_L1"}, "straight_L1": nil}, nil)

			// The edit keeps the file's size, inode and time: only its
			// content tells it.
			parts := filepath.Join(proj.Dir, "pdk/parts.py")
			writeTestFile(t, parts, tc.baseline)
			if err := os.Chtimes(parts, old, old); err != nil {
				t.Fatal(err)
			}
			p = open(t, Options{Project: proj, Store: st, Baseline: map[string]string{parts: sha(tc.baseline)}})
			pl, err := p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
			if err != nil {
				t.Fatal(err)
			}
			want := &loop.Plan{Targets: []string{}, Cached: []string{"chip"}}
			if tc.built {
				want = &loop.Plan{Targets: []string{"chip"}, Cached: []string{}}
			}
			if !reflect.DeepEqual(nonNil(pl.Targets), want.Targets) || !reflect.DeepEqual(nonNil(pl.Cached), want.Cached) {
				t.Errorf("start-up plan builds %q and serves %q; want %q and %q (note %q)",
					pl.Targets, pl.Cached, want.Targets, want.Cached, pl.Note)
			}
			if tc.built && pl.Note != "1 file changed since the session" {
				t.Errorf("note %q, want the edit counted", pl.Note)
			}
		})
	}
}

// nonNil returns s, or an empty slice for nil.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
