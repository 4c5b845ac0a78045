package main

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// tracedFrame is what the traced build saw in KLayout after one of its
// frames (testdata/trace/build_traced.py, LYWATCH_TEST_TRACE_LOG).
type tracedFrame struct {
	Frame int       `json:"frame"`
	Same  bool      `json:"same"`  // the layout of the frame before
	Loads int       `json:"loads"` // KLayout's loads since the frame before
	Type  string    `json:"type"`  // the last load's, when there was one
	Box   []float64 `json:"box"`   // the trace view's
}

// checkTracedLive: each trace frame was shown as it came, the first
// opening the trace view (which the build then zoomed into), the second,
// the same layout as the first, sending nothing and keeping the box, the
// last, which changes only the chip's own content, read into the open
// layout incrementally; the box was kept throughout.
func checkTracedLive(t *testing.T, path string) {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var frames []tracedFrame
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var f tracedFrame
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		frames = append(frames, f)
	}
	t.Logf("the trace frames as the build saw them: %+v", frames)
	if len(frames) != 4 {
		t.Fatalf("the build saw %d frames shown, want 4: %+v", len(frames), frames)
	}
	want := []struct {
		same  bool
		loads int
		types []string
	}{
		{false, 1, []string{"open"}},
		{true, 0, []string{""}},
		// Nearly every cell is new: the whole layout is worth sending.
		{false, 1, []string{"reload", "incremental"}},
		{false, 1, []string{"incremental"}},
	}
	for i, w := range want {
		f := frames[i]
		if f.Same != w.same || f.Loads != w.loads || !contains(w.types, f.Type) {
			t.Errorf("frame %d: %+v, want same %v, %d loads of type %v", i+1, f, w.same, w.loads, w.types)
		}
	}
	zoomed := frames[1].Box
	if boxNear(zoomed, frames[0].Box) {
		t.Errorf("the build's zoom did not change the trace view's box %v", zoomed)
	}
	for _, f := range frames[1:] {
		if !boxNear(f.Box, zoomed) {
			t.Errorf("frame %d: the trace view's box %v, want %v kept", f.Frame, f.Box, zoomed)
		}
	}
}

// boxNear reports whether two boxes (left, bottom, right, top in
// micrometres) are the same to a database unit.
func boxNear(a, b []float64) bool {
	if len(a) != 4 || len(b) != 4 {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > 0.001 || d < -0.001 {
			return false
		}
	}
	return true
}
