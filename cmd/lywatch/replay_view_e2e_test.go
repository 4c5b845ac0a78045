package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/ipc"
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

// checkReplayFollowsRename: with the view on pad_S80, zoomed into it, the
// replay of frame 2, where the pad is pad_S120, follows the pad, keeping
// the box, and so does putting the last good layout back.
func checkReplayFollowsRename(t *testing.T, p *replayProject) {
	rec := recorded(t, p)
	if f := rec.Factories(); f["pad_S80"] == "" || f["pad_S80"] != f["pad_S120"] {
		t.Errorf("the history names the pads' factories %q and %q, want the same one", f["pad_S80"], f["pad_S120"])
	}
	before := zoomed(t, p)
	keys, send := io.Pipe()
	r := startReplay(t, keys, "--klayout", p.gui.Addr, "--step", "--from", "1", "--to", "2")
	waitShown(t, p, before, 1, mustLayout(t, rec, 0), r.out.String)
	ctx := context.Background()
	if err := p.c.Call(ctx, ipc.CmdCell, map[string]any{"name": "pad_S80"}, nil); err != nil {
		t.Fatal(err)
	}
	defer p.c.Call(ctx, ipc.CmdCell, map[string]any{"name": "chip"}, nil) // as the other replays expect
	if err := p.c.Zoom(ctx, -20, -20, 20, 20); err != nil {
		t.Fatal(err)
	}
	onPad, err := p.c.Status(ctx)
	if err != nil || onPad.Cell != "pad_S80" {
		t.Fatalf("status %+v, %v: want the view on pad_S80", onPad, err)
	}
	fmt.Fprintln(send, "next")
	st := waitShown(t, p, onPad, 1, mustLayout(t, rec, 1), r.out.String)
	if st.Cell != "pad_S120" {
		t.Errorf("after the rename KLayout shows %q, want pad_S120", st.Cell)
	}
	fmt.Fprintln(send, "next")
	if code := r.wait(t); code != exitOK {
		t.Fatalf("replay: %d\n%s", code, r.errb.String())
	}
	if !strings.Contains(r.out.String(), "followed pad_S80 → pad_S120") {
		t.Errorf("the replay does not say it followed the pad:\n%s", r.out.String())
	}
	good, err := rec.LastGood(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st = waitShown(t, p, onPad, 2, good, r.out.String)
	if st.Cell != "pad_S120" {
		t.Errorf("with the last good layout back KLayout shows %q, want pad_S120", st.Cell)
	}
}
