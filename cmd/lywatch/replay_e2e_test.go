package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/gif"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/pipeline"
)

// replayProject is a copy of the example PDK in a git checkout, built by
// lywatch --once through a series of edits, with one KLayout under Xvfb
// that every push goes to.
type replayProject struct {
	t        *testing.T
	kl       string // klayout
	gui      *testsupport.GUI
	c        *ipc.Client
	dir      string // the PDK copy, a git checkout
	chip     string // the output KLayout shows
	traceDir string // the traced build's fixture, inside dir
}

func newReplayProject(t *testing.T) *replayProject {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the example PDK in KLayout and replays it into a real KLayout")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	p := &replayProject{t: t, kl: testsupport.KLayout(t)}
	p.gui = testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro()})
	p.c = &ipc.Client{Addr: p.gui.Addr, Token: p.gui.Token, Timeout: 20 * time.Second}
	t.Setenv(ipc.TokenEnv, p.gui.Token) // lywatch's own pushes carry it
	root := testsupport.Root(t)
	p.dir = filepath.Join(t.TempDir(), "pdk")
	testsupport.CopyTree(t, filepath.Join(root, "testdata", "pdk"), p.dir)
	p.traceDir = filepath.Join(p.dir, "tracing")
	testsupport.CopyTree(t, filepath.Join(root, "testdata", "trace"), p.traceDir)
	p.chip = filepath.Join(p.dir, "build", "chip.gds")
	p.git("init", "-q")
	p.git("add", "-A")
	p.git("commit", "-q", "-m", "the example PDK")
	t.Chdir(p.dir)
	t.Setenv("NO_COLOR", "1")
	return p
}

func (p *replayProject) git(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = p.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// build runs lywatch --once: the PDK's build.py, or the traced build.
// It returns the JSON report of the cycle.
func (p *replayProject) build(traced bool) loop.Report {
	p.t.Helper()
	script := filepath.Join(p.dir, "build.py")
	extra := []string{}
	if traced {
		script = filepath.Join(p.traceDir, "build_traced.py")
		extra = []string{"-rd", "pdk=" + p.dir}
	}
	// --force: a build every time, also of sources the session serves.
	args := []string{"--no-config", "--no-color", "--once", "--force", "--json", "--watch", p.dir, "--output", p.chip, "--klayout", p.gui.Addr,
		"--", p.kl, "-b", "-r", script, "-rd", "out=" + p.chip}
	code, out, errb := runCmd(p.t, append(args, extra...)...)
	if code != exitOK {
		p.t.Fatalf("lywatch --once: code %d\n%s\n%s", code, out, errb)
	}
	var rep loop.Report
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); err != nil || len(rep.Builds) != 1 {
		p.t.Fatalf("report %q: %v", out, err)
	}
	return rep
}

// history runs lywatch history --json.
func (p *replayProject) history() pipeline.TargetHistory {
	p.t.Helper()
	code, out, errb := runCmd(p.t, "history", "--json")
	var h pipeline.History
	if code != exitOK || json.Unmarshal([]byte(out), &h) != nil || len(h.Targets) != 1 {
		p.t.Fatalf("history: code %d\n%s\n%s", code, out, errb)
	}
	return h.Targets[0]
}

// hashes returns a layout's deep cell hashes.
func hashes(t *testing.T, layout []byte) map[string]string {
	t.Helper()
	lib, err := gds.Read(bytes.NewReader(layout))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := lib.Hashes()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for n, h := range hs {
		out[n] = h.Deep
	}
	return out
}

// stageOf returns a report's stage of that name.
func stageOf(t *testing.T, rep loop.Report, name string) loop.StageReport {
	t.Helper()
	for _, s := range rep.Builds[0].Stages {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no %s stage in %+v", name, rep.Builds[0].Stages)
	return loop.StageReport{}
}

// TestHistoryReplayAndTrace builds the example PDK through a series of
// edits and one traced build, then lists, replays and renders the
// history, with one KLayout for every step.
func TestHistoryReplayAndTrace(t *testing.T) {
	p := newReplayProject(t)
	head := p.git("rev-parse", "HEAD")

	// 1: the committed sources.
	rep := p.build(false)
	if f := stageOf(t, rep, "history").Frame; f == nil || f.Seq != 1 || !f.Added {
		t.Fatalf("first build's frame %+v", f)
	}
	// 2: bigger pads, not committed.
	klEditFile(t, filepath.Join(p.dir, "mypdk", "components", "pads.py"), "size: float = 80.0", "size: float = 120.0")
	rep = p.build(false)
	cells := stageOf(t, rep, "read").Cells
	if cells == nil || !reflect.DeepEqual(cells.Changed, []string{"chip", "pad_S120"}) || !contains(cells.Removed, "pad_S80") {
		t.Errorf("second build's cells %+v, want chip and pad_S120 changed, pad_S80 removed", cells)
	}
	// 3: the same sources again: an identical layout adds no frame.
	rep = p.build(false)
	if f := stageOf(t, rep, "history").Frame; f == nil || *f != (loop.FrameReport{Seq: 2}) {
		t.Errorf("identical rebuild's frame %+v, want frame 2, none added", f)
	}
	if n := len(p.history().Frames); n != 2 {
		t.Fatalf("%d frames after an identical rebuild, want 2", n)
	}
	// 4: a longer MZI arm, built by the traced build: three frames and a show().
	klEditFile(t, filepath.Join(p.dir, "chip.py"), "DELTA_LENGTHS = (10.0, 20.0, 40.0)", "DELTA_LENGTHS = (10.0, 20.0, 80.0)")
	t.Setenv("LYWATCH_TEST_KLAYOUT", p.gui.Addr)
	t.Setenv("LYWATCH_TEST_TRACE_VIEW", filepath.Join(p.dir, "build", "session", "trace", "default.gds"))
	traceLog := filepath.Join(t.TempDir(), "trace.jsonl")
	t.Setenv("LYWATCH_TEST_TRACE_LOG", traceLog)
	rep = p.build(true)
	t.Run("report", func(t *testing.T) { checkTracedReport(t, rep) })
	t.Run("trace frames pushed live, only what changed", func(t *testing.T) { checkTracedLive(t, traceLog) })
	t.Run("history", func(t *testing.T) { checkHistory(t, p, head) })
	t.Run("replay in order keeping the view", func(t *testing.T) { checkReplaySteps(t, p) })
	t.Run("replay a build's trace", func(t *testing.T) { checkReplayTrace(t, p) })
	t.Run("replay follows a renamed cell", func(t *testing.T) { checkReplayFollowsRename(t, p) })
	t.Run("ctrl-c leaves the last good layout", func(t *testing.T) { checkReplayInterrupted(t, p) })
	t.Run("step keys on a terminal", func(t *testing.T) { checkReplayPTY(t, p) })
	t.Run("gif", func(t *testing.T) { checkReplayGIF(t, p) })
	t.Run("png of the view's box", func(t *testing.T) { checkReplayBoxView(t, p) })
}

// contains reports whether l holds s, or a name starting with s_ (the
// PDK names cells by their parameters: mzi_DL40_LY2_...).
func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s || strings.HasPrefix(x, s+"_") {
			return true
		}
	}
	return false
}

// checkTracedReport: the JSON report of the traced build names the cells,
// the trace frames and the history frame.
func checkTracedReport(t *testing.T, rep loop.Report) {
	cells := stageOf(t, rep, "read").Cells
	if cells == nil || !contains(cells.Changed, "chip") || !contains(cells.Changed, "mzi_DL80") || contains(cells.Changed, "mzi_DL10") ||
		!contains(cells.Removed, "mzi_DL40") || len(cells.Removed) != 2 {
		t.Errorf("cells %+v: want chip and mzi_DL80 changed, mzi_DL40 and its arm removed", cells)
	}
	tr := stageOf(t, rep, "trace").Trace
	var labels []string
	if tr != nil {
		for _, f := range tr.Frames {
			labels = append(labels, f.Label)
		}
	}
	want := []string{"a pad", "the layout so far, as a file", "the chip", "show"}
	if !reflect.DeepEqual(labels, want) || tr.Dropped != 0 {
		t.Errorf("trace frames %v, want %v", labels, want)
	}
	if f := stageOf(t, rep, "history").Frame; f == nil || *f != (loop.FrameReport{Seq: 3, Added: true, TraceSteps: 4}) {
		t.Errorf("history %+v", f)
	}
}

// checkHistory: the frames with their triggers, cells, commits and
// statuses, as JSON and as text.
func checkHistory(t *testing.T, p *replayProject, head string) {
	h := p.history()
	if len(h.Frames) != 3 || h.Output != p.chip {
		t.Fatalf("history %+v", h)
	}
	f1, f2, f3 := h.Frames[0], h.Frames[1], h.Frames[2]
	if f1.Commit != head || f2.Commit != "" || f3.Commit != "" {
		t.Errorf("commits %q %q %q; want %s only for the clean checkout", f1.Commit, f2.Commit, f3.Commit, head)
	}
	if len(f1.Trigger) != 0 || !reflect.DeepEqual(f2.Trigger, []string{"mypdk/components/pads.py"}) || !reflect.DeepEqual(f3.Trigger, []string{"chip.py"}) {
		t.Errorf("triggers %v %v %v", f1.Trigger, f2.Trigger, f3.Trigger)
	}
	if !reflect.DeepEqual(f2.Changed, []string{"chip", "pad_S120"}) || !contains(f3.Removed, "mzi_DL40") {
		t.Errorf("cells: frame 2 changed %v, frame 3 removed %v", f2.Changed, f3.Removed)
	}
	if f1.Status != pipeline.FrameOK || f3.Status != pipeline.FrameCurrent || f3.TraceSteps != 4 {
		t.Errorf("statuses %s %s %s, trace steps %d", f1.Status, f2.Status, f3.Status, f3.TraceSteps)
	}
	code, out, _ := runCmd(t, "history")
	for _, want := range []string{"default", "3 frames", "first build →", "mypdk/components/pads.py →", "commit " + head[:10], "current", "4 trace steps", "removed: "} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
}

// replayRun runs lywatch replay in-process with stdin from keys; done
// gives its exit code.
type replayRun struct {
	out, errb testsupport.Buffer
	done      chan int
	cancel    context.CancelFunc
}

func startReplay(t *testing.T, stdin io.Reader, args ...string) *replayRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &replayRun{done: make(chan int, 1), cancel: cancel}
	go func() { r.done <- run(ctx, append([]string{"replay"}, args...), stdin, &r.out, &r.errb) }()
	t.Cleanup(cancel)
	return r
}

func (r *replayRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(90 * time.Second):
		t.Fatalf("replay did not end\n%s\n%s", r.out.String(), r.errb.String())
		return -1
	}
}

// zoomed zooms KLayout into the chip's lower left and returns its status.
func zoomed(t *testing.T, p *replayProject) *ipc.Status {
	t.Helper()
	// The chip's view may not be the current one (a traced build's frames
	// opened a view of their own): show it.
	if _, err := p.c.Push(context.Background(), p.chip, ipc.PushOptions{Activate: true}); err != nil {
		t.Fatal(err)
	}
	klWaitStatus(t, p.c, "the chip in KLayout", func() string { return "" }, func(st *ipc.Status) bool {
		return st.File == p.chip && len(st.Box) == 4
	})
	if err := p.c.Zoom(context.Background(), 100, 50, 700, 450); err != nil {
		t.Fatal(err)
	}
	st, err := p.c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitShown waits until KLayout has loaded n more times than before and
// checks what it loaded: the chip reloaded, whole or only its changed
// cells, the view box kept, and the file on disk holding want's cells.
func waitShown(t *testing.T, p *replayProject, before *ipc.Status, n int, want []byte, out func() string) *ipc.Status {
	t.Helper()
	st := klWaitStatus(t, p.c, fmt.Sprintf("load %d", n), out, func(st *ipc.Status) bool { return st.Loads >= before.Loads+n })
	if st.Loads != before.Loads+n {
		t.Errorf("KLayout loaded %d times, want %d", st.Loads-before.Loads, n)
	}
	if st.LastLoad == nil || st.LastLoad.File != p.chip || (st.LastLoad.Type != "reload" && st.LastLoad.Type != "incremental") || st.Views != before.Views {
		t.Errorf("load %d: %+v in %d views, want a reload of %s", n, st.LastLoad, st.Views, p.chip)
	}
	for i := range 4 {
		if d := st.Box[i] - before.Box[i]; d > st.DBU || d < -st.DBU {
			t.Errorf("load %d: view box %v, was %v", n, st.Box, before.Box)
			break
		}
	}
	got, err := os.ReadFile(p.chip)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hashes(t, got), hashes(t, want)) {
		t.Errorf("load %d: KLayout shows another layout than the frame's", n)
	}
	return st
}

// recorded opens the session's history as replay reads it.
func recorded(t *testing.T, p *replayProject) *pipeline.Recorded {
	t.Helper()
	proj, err := (&projectFlags{}).resolve(&env{stdout: io.Discard, stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := pipeline.OpenRecorded(proj, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	return rec
}

// checkReplaySteps steps through the three frames from a pipe and checks
// each in KLayout before asking for the next.
func checkReplaySteps(t *testing.T, p *replayProject) {
	rec := recorded(t, p)
	before := zoomed(t, p)
	keys, send := io.Pipe()
	r := startReplay(t, keys, "--klayout", p.gui.Addr, "--step")
	for i, f := range rec.Frames {
		want, err := rec.Layout(f)
		if err != nil {
			t.Fatal(err)
		}
		waitShown(t, p, before, i+1, want, r.out.String)
		if line := fmt.Sprintf("[%d/3] frame %d ", i+1, f.Seq); !strings.Contains(r.out.String(), line) {
			t.Errorf("no summary %q:\n%s", line, r.out.String())
		}
		if i == 1 {
			fmt.Fprintln(send, "back")
			waitShown(t, p, before, i+2, mustLayout(t, rec, 0), r.out.String)
			fmt.Fprintln(send, "next")
			before.Loads += 2
			waitShown(t, p, before, i+1, want, r.out.String)
		}
		fmt.Fprintln(send, "next")
	}
	if code := r.wait(t); code != exitOK {
		t.Fatalf("replay: %d\n%s", code, r.errb.String())
	}
	if !strings.Contains(r.out.String(), "mypdk/components/pads.py → ") {
		t.Errorf("summaries do not say why:\n%s", r.out.String())
	}
	// The last frame is the last good layout: nothing more is pushed.
	if st, _ := p.c.Status(context.Background()); st.Loads != before.Loads+3 {
		t.Errorf("KLayout loaded %d times, want 3", st.Loads-before.Loads)
	}
}

func mustLayout(t *testing.T, rec *pipeline.Recorded, i int) []byte {
	t.Helper()
	b, err := rec.Layout(rec.Frames[i])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkReplayTrace steps through the traced build's four frames. The
// second holds the layout of the first: nothing is sent for it, and
// KLayout loads nothing.
func checkReplayTrace(t *testing.T, p *replayProject) {
	rec := recorded(t, p)
	f, _ := rec.Frame(3)
	before := zoomed(t, p)
	shown, err := os.ReadFile(p.chip)
	if err != nil {
		t.Fatal(err)
	}
	keys, send := io.Pipe()
	r := startReplay(t, keys, "--klayout", p.gui.Addr, "--build", "3", "--step")
	loads := 0
	for i := range 4 {
		want, err := rec.Step(f, i)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 90*time.Second, fmt.Sprintf("step %d", i+1), func() bool { return strings.Contains(r.out.String(), fmt.Sprintf("[%d/4]", i+1)) }, r.out.String)
		same := reflect.DeepEqual(hashes(t, want), hashes(t, shown))
		if !same {
			loads++
		}
		if same != (i == 1) {
			t.Errorf("step %d holds the layout of the one before: %v, want %v", i+1, same, i == 1)
		}
		waitShown(t, p, before, loads, want, r.out.String)
		shown = want
		send.Write([]byte("\n"))
	}
	if code := r.wait(t); code != exitOK {
		t.Fatalf("replay --build: %d\n%s", code, r.errb.String())
	}
	for _, want := range []string{`[1/4] build 3 step 1/4  "a pad"`, `[2/4] build 3 step 2/4  "the layout so far, as a file" (none)`,
		`[4/4] build 3 step 4/4  "show"  cell chip (incremental (1 cell))`, "back to the last good layout"} {
		if !strings.Contains(r.out.String(), want) {
			t.Errorf("replay --build lacks %q:\n%s", want, r.out.String())
		}
	}
	good, err := rec.LastGood(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The build's last step is its layout: putting it back changes nothing.
	if !reflect.DeepEqual(hashes(t, good), hashes(t, shown)) {
		loads++
	}
	waitShown(t, p, before, loads, good, r.out.String)
}

// checkReplayInterrupted: a looping replay of the first two frames,
// interrupted, leaves the last good layout (frame 3) in KLayout.
func checkReplayInterrupted(t *testing.T, p *replayProject) {
	rec := recorded(t, p)
	before := zoomed(t, p)
	r := startReplay(t, strings.NewReader(""), "--klayout", p.gui.Addr, "--from", "1", "--to", "2", "--loop", "--fps", "20")
	klWaitStatus(t, p.c, "the replay looping", r.out.String, func(st *ipc.Status) bool { return st.Loads >= before.Loads+4 })
	r.cancel() // what Ctrl-C does: main's context is cancelled
	if code := r.wait(t); code != exitOK {
		t.Fatalf("interrupted replay: %d\n%s", code, r.errb.String())
	}
	st, _ := p.c.Status(context.Background())
	good, _ := rec.LastGood(context.Background())
	waitShown(t, p, before, st.Loads-before.Loads, good, r.out.String)
	if !strings.Contains(r.out.String(), "back to the last good layout") {
		t.Errorf("output:\n%s", r.out.String())
	}
}

// checkReplayGIF renders the three frames into a GIF with KLayout: the
// pixels that differ between two frames lie where the layout changed.
func checkReplayGIF(t *testing.T, p *replayProject) {
	out := filepath.Join(t.TempDir(), "history.gif")
	code, stdout, errb := runCmd(t, "replay", "--gif", out, "--size", "320x200", "--fps", "4")
	if code != exitOK || !strings.Contains(stdout, "wrote "+out+": 3 frames") {
		t.Fatalf("replay --gif: %d\n%s\n%s", code, stdout, errb)
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	g, err := gif.DecodeAll(fh)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 3 || g.Delay[0] != 25 {
		t.Fatalf("%d frames, delays %v; want 3 frames of 25 cs", len(g.Image), g.Delay)
	}
	rec := recorded(t, p)
	changes := frameChanges(t, [][]byte{mustLayout(t, rec, 0), mustLayout(t, rec, 1), mustLayout(t, rec, 2)})
	for i, img := range g.Image {
		if distinct(img) < 3 {
			t.Errorf("frame %d is blank (%d colours)", i+1, distinct(img))
		}
		if i > 0 {
			checkChangedWhere(t, i, g.Image[i-1], img, changes.Union, changes.Changes[i-1])
		}
	}
}
