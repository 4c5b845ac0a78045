package session

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestIdenticalRebuildAddsNoFrame saves the same cells twice (another
// file table, other layout bytes): the second save adds no frame and says
// the last one holds it; a change after it adds one again.
func TestIdenticalRebuildAddsNoFrame(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	tmp := t.TempDir()
	saves := []struct {
		gen, layoutGen int
		want           Saved
	}{
		{1, 1, Saved{Frame: 1, Added: true}},
		{1, 2, Saved{Frame: 1}}, // same cells, other bytes (a timestamp): no frame
		{1, 3, Saved{Frame: 1}},
		{2, 4, Saved{Frame: 2, Added: true}},
		{2, 5, Saved{Frame: 2}},
	}
	for i, sv := range saves {
		b, err := os.ReadFile(layoutFile(t, tmp, sv.layoutGen, 500))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SaveBuild("chip", testManifest(t, root, srcPaths(), sv.gen), b, FrameNote{})
		if err != nil {
			t.Fatal(err)
		}
		if got != sv.want {
			t.Errorf("save %d: %+v, want %+v", i+1, got, sv.want)
		}
	}
	frames, _, err := s.History("chip")
	if err != nil || len(frames) != 2 {
		t.Fatalf("%d frames (%v), want 2", len(frames), err)
	}
	// The frame holds the first of the identical layouts.
	got, err := s.FrameLayout("chip", frames[0])
	if err != nil || string(got) != layoutContent(1, 500) {
		t.Errorf("frame 1 holds %.40q (%v), want layout 1", got, err)
	}
}

// TestIdenticalSavesOneFrame is the same through Save, the API of old:
// three saves of one layout are one frame.
func TestIdenticalSavesOneFrame(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	tmp := t.TempDir()
	for i := range 3 {
		if err := s.Save("chip", testManifest(t, root, srcPaths(), 1), layoutFile(t, tmp, i, 300)); err != nil {
			t.Fatal(err)
		}
	}
	if frames, _, err := s.History("chip"); err != nil || len(frames) != 1 {
		t.Errorf("%d frames after three identical builds (%v), want 1", len(frames), err)
	}
}

// TestFrameTriggerAndCommit records the files changed since the previous
// save, and the commit given.
func TestFrameTriggerAndCommit(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	save := func(gen int, note FrameNote) {
		t.Helper()
		if _, err := s.SaveBuild("chip", testManifest(t, root, srcPaths()[:3], gen), []byte(layoutContent(gen, 100)), note); err != nil {
			t.Fatal(err)
		}
	}
	save(1, FrameNote{Commit: "c0ffee"})
	writeFile(t, filepath.Join(root, "pdk", "helpers.py"), "def width(): return 0.6\n")
	save(2, FrameNote{})
	writeFile(t, filepath.Join(root, "pdk", "straight.py"), "def straight(): return 1\n")
	writeFile(t, filepath.Join(root, "pdk", "__init__.py"), "\n")
	save(3, FrameNote{})
	frames, _, err := s.History("chip")
	if err != nil || len(frames) != 3 {
		t.Fatalf("%d frames, %v", len(frames), err)
	}
	want := [][]string{nil, {"pdk/helpers.py"}, {"pdk/__init__.py", "pdk/straight.py"}}
	for i, f := range frames {
		if !reflect.DeepEqual(f.Trigger, want[i]) {
			t.Errorf("frame %d: trigger %v, want %v", f.Seq, f.Trigger, want[i])
		}
	}
	if frames[0].Commit != "c0ffee" || frames[1].Commit != "" {
		t.Errorf("commits %q, %q", frames[0].Commit, frames[1].Commit)
	}
}

// TestSaveTrace keeps a build's steps with its frame, reads them back,
// replaces them on an identical rebuild, and prunes them with the frame.
func TestSaveTrace(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{HistoryFrames: 2})
	tmp := t.TempDir()
	steps := func(gen, n int) []TraceInput {
		var in []TraceInput
		for i := range n {
			p := filepath.Join(tmp, "step.gds")
			p = strings.TrimSuffix(p, ".gds") + string(rune('a'+gen)) + string(rune('a'+i)) + ".gds"
			writeFile(t, p, layoutContent(100*gen+i, 300))
			in = append(in, TraceInput{Label: "step " + string(rune('A'+i)), Cell: "TOP", Time: time.Unix(int64(i), 0), Path: p})
		}
		return in
	}
	sv, err := s.SaveBuild("chip", testManifest(t, root, srcPaths(), 1), []byte(layoutContent(1, 100)), FrameNote{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTrace("chip", sv.Frame, steps(1, 3), 7); err != nil {
		t.Fatal(err)
	}
	frames, hdir, _ := s.History("chip")
	f := frames[0]
	if f.Trace == nil || len(f.Trace.Steps) != 3 || f.Trace.Dropped != 7 {
		t.Fatalf("trace %+v", f.Trace)
	}
	for i, st := range f.Trace.Steps {
		b, err := s.TraceLayout("chip", f, i)
		if err != nil || string(b) != layoutContent(100+i, 300) {
			t.Errorf("step %d: %.30q, %v", i+1, b, err)
		}
		if st.Label != "step "+string(rune('A'+i)) || st.Cell != "TOP" {
			t.Errorf("step %d: %+v", i+1, st)
		}
	}
	if _, err := s.TraceLayout("chip", f, 3); err == nil {
		t.Error("a step past the end reads")
	}
	first := f.Trace.Dir

	// An identical rebuild with a trace of its own: the frame keeps the newer trace only.
	sv2, err := s.SaveBuild("chip", testManifest(t, root, srcPaths(), 1), []byte(layoutContent(9, 100)), FrameNote{})
	if err != nil || sv2.Added || sv2.Frame != sv.Frame {
		t.Fatalf("identical rebuild: %+v, %v", sv2, err)
	}
	if err := s.SaveTrace("chip", sv2.Frame, steps(2, 2), 0); err != nil {
		t.Fatal(err)
	}
	frames, _, _ = s.History("chip")
	if tr := frames[0].Trace; tr == nil || len(tr.Steps) != 2 || tr.Dir == first {
		t.Fatalf("replaced trace %+v", tr)
	}
	if _, err := os.Stat(filepath.Join(hdir, first)); !os.IsNotExist(err) {
		t.Errorf("the replaced trace's folder is still there: %v", err)
	}
	b, err := s.TraceLayout("chip", frames[0], 1)
	if err != nil || string(b) != layoutContent(201, 300) {
		t.Errorf("new step 2: %.30q, %v", b, err)
	}

	// Two more frames: the first is pruned with its trace folder.
	for gen := 2; gen <= 3; gen++ {
		if _, err := s.SaveBuild("chip", testManifest(t, root, srcPaths(), gen), []byte(layoutContent(gen, 100)), FrameNote{}); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(hdir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".trace-") {
			t.Errorf("pruned frame's trace left: %s", e.Name())
		}
	}
	if err := s.SaveTrace("chip", 1, steps(3, 1), 0); err == nil {
		t.Error("a trace for a pruned frame was accepted")
	}
}

// TestTraceCountsTowardsHistoryBytes: a frame's trace takes room in the
// history's size bound, so a large trace prunes older frames.
func TestTraceCountsTowardsHistoryBytes(t *testing.T) {
	root := newRoot(t, srcFiles)
	tmp := t.TempDir()
	noise := make([]byte, 64<<10) // incompressible: gzip keeps its size
	rand.NewChaCha8([32]byte{1}).Read(noise)
	big := filepath.Join(tmp, "big.gds")
	if err := os.WriteFile(big, noise, 0o644); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, root, Options{HistoryBytes: 40 << 10})
	for gen := 1; gen <= 2; gen++ {
		if _, err := s.SaveBuild("chip", testManifest(t, root, srcPaths(), gen), []byte(layoutContent(gen, 100)), FrameNote{}); err != nil {
			t.Fatal(err)
		}
	}
	if frames, _, _ := s.History("chip"); len(frames) != 2 {
		t.Fatalf("%d frames before the trace, want 2", len(frames))
	}
	if err := s.SaveTrace("chip", 2, []TraceInput{{Path: big}}, 0); err != nil {
		t.Fatal(err)
	}
	frames, _, _ := s.History("chip")
	if len(frames) != 0 {
		t.Errorf("frames %d after a trace of 64 KiB in a history of 40 KiB, want none left", len(frames))
	}
}
