package session

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestHistoryBounds(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		saves      int
		wantFrames int
	}{
		{"count bound", Options{HistoryFrames: 3}, 10, 3},
		{"default bound", Options{}, 4, 4},
		{"size bound", Options{HistoryBytes: -1 /* set below: room for 3.5 frames */}, 10, 3},
		{"no history", Options{HistoryFrames: -1}, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t, srcFiles)
			tmp := t.TempDir()
			if tt.opts.HistoryBytes < 0 {
				sz := storedSize(t, root, tmp)
				tt.opts.HistoryBytes = 3*(1024+sz) + sz/2
			}
			s := openStore(t, root, tt.opts)
			for gen := 1; gen <= tt.saves; gen++ {
				if err := s.Save("chip", testManifest(t, root, srcPaths(), gen), layoutFile(t, tmp, gen, 2000)); err != nil {
					t.Fatal(err)
				}
			}
			frames, hdir, err := s.History("chip")
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != tt.wantFrames {
				t.Fatalf("%d frames, want %d", len(frames), tt.wantFrames)
			}
			var total int64
			for i, f := range frames {
				if want := tt.saves - tt.wantFrames + 1 + i; f.Seq != want {
					t.Errorf("frame %d has seq %d, want %d (oldest dropped first)", i, f.Seq, want)
				}
				if c := gunzipFile(t, filepath.Join(hdir, f.Layout.File)); c != layoutContent(f.Seq, 2000) {
					t.Errorf("frame %d holds the wrong layout", f.Seq)
				}
				total += frameSize(f)
			}
			if tt.opts.HistoryBytes > 0 && total > tt.opts.HistoryBytes {
				t.Errorf("history takes %d bytes, cap %d", total, tt.opts.HistoryBytes)
			}
			ents, _ := os.ReadDir(hdir)
			if len(ents) != 2*len(frames) {
				t.Errorf("history folder holds %d files for %d frames", len(ents), len(frames))
			}
		})
	}
}

func TestHistoryChangedCells(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	tmp := t.TempDir()
	m1 := testManifest(t, root, srcPaths(), 1)
	if err := s.Save("chip", m1, layoutFile(t, tmp, 1, 100)); err != nil {
		t.Fatal(err)
	}
	m2 := testManifest(t, root, srcPaths(), 2) // TOP's deep hash changes
	m2.Cells = append(m2.Cells, Cell{Name: "new_cell", Local: "n", Deep: "n", Factory: "newf"})
	if err := s.Save("chip", m2, layoutFile(t, tmp, 2, 100)); err != nil {
		t.Fatal(err)
	}
	m3 := testManifest(t, root, srcPaths(), 2)
	if err := s.Save("chip", m3, layoutFile(t, tmp, 3, 100)); err != nil {
		t.Fatal(err)
	}
	frames, _, err := s.History("chip")
	if err != nil || len(frames) != 3 {
		t.Fatalf("%d frames, %v", len(frames), err)
	}
	// Each frame names the factories of the cells it changed.
	want := []Frame{
		{Changed: []string{"TOP", "straight_L10"}, Factories: map[string]string{"straight_L10": "straight"}},
		{Changed: []string{"TOP", "new_cell"}, Factories: map[string]string{"new_cell": "newf"}},
		{Removed: []string{"new_cell"}},
	}
	for i, f := range frames {
		if !reflect.DeepEqual(f.Changed, want[i].Changed) || !reflect.DeepEqual(f.Removed, want[i].Removed) ||
			!reflect.DeepEqual(f.Factories, want[i].Factories) {
			t.Errorf("frame %d: changed %v removed %v factories %v; want %v %v %v", f.Seq, f.Changed, f.Removed, f.Factories,
				want[i].Changed, want[i].Removed, want[i].Factories)
		}
		if f.Time.IsZero() {
			t.Errorf("frame %d has no time", f.Seq)
		}
	}
}

// storedSize returns the compressed size of a test layout of 2000 bytes.
func storedSize(t *testing.T, root, tmp string) int64 {
	t.Helper()
	s, err := Open(filepath.Join(root, "build", "measure"), Options{Root: root, HistoryFrames: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := testManifest(t, root, srcPaths(), 10)
	if err := s.Save("chip", m, layoutFile(t, tmp, 10, 2000)); err != nil {
		t.Fatal(err)
	}
	return m.Layout.Size
}
