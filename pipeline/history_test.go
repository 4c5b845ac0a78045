package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/tracing"
)

// traceEnv returns the value of key in a plan's environment.
func traceEnv(pl *loop.Plan, key string) string {
	for _, kv := range pl.Env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// traceFrame writes one frame into a build's trace folder as
// lywatch_trace does: the layout, then its record.
func traceFrame(t *testing.T, dir string, seq int, label string, cells map[string][]string) {
	t.Helper()
	name := fmt.Sprintf("%06d.gds", seq)
	writeLayout(t, filepath.Join(dir, name), cells, nil)
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf(`{"seq": %d, "file": %q, "size": %d, "time": %d, "label": %q}`, seq, name, st.Size(), time.Now().Unix(), label)
	writeTestFile(t, filepath.Join(dir, fmt.Sprintf("%06d.json", seq)), rec)
}

// stageReport returns the report of the named stage.
func stageReport(t *testing.T, reps []loop.StageReport, name string) loop.StageReport {
	t.Helper()
	for _, r := range reps {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s stage in %s", name, names(reps))
	return loop.StageReport{}
}

// checkTracePush: a trace frame is pushed as a good build is, with one of
// the frames' bytes and their cells' hashes, so that only the cells it
// changed travel to a KLayout showing the frame before.
func checkTracePush(t *testing.T, l *ipc.Layout, dir string) {
	t.Helper()
	frames, _ := filepath.Glob(filepath.Join(dir, "*.gds"))
	var from string
	for _, f := range frames {
		if b, err := os.ReadFile(f); err == nil && bytes.Equal(b, l.Data) {
			from = f
		}
	}
	if from == "" {
		t.Fatalf("the push of the trace view holds none of the frames %v", frames)
	}
	lib, err := gds.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	want, err := lib.Hashes()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Cells, want) || l.Top == "" {
		t.Errorf("the push of %s has cells %v and top %q, want the frame's %v", from, l.Cells, l.Top, want)
	}
}

// TestStagesReportCellsTraceAndFrame plays three builds of a target with
// a real session: the first traces three frames. The reports name the
// changed and removed cells, the trace and the history frame; an
// identical rebuild adds no frame; the trace is kept with its frame and
// was shown live.
func TestStagesReportCellsTraceAndFrame(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	proj.SessionDir = filepath.Join(proj.Root, "build", "session")
	home := t.TempDir() // this user's key and locks, as ReadHistory finds them
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	st, err := session.Open(proj.SessionDir, session.Options{Root: proj.Root})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	push := &fakePusher{pushed: make(chan string, 16)}
	p := open(t, Options{Project: proj, Store: st, Pusher: push, Trace: &TraceOptions{Limits: tracing.Limits{Frames: 10}}})
	defer p.Close()

	pl, err := p.Plan(context.Background(), &loop.Cycle{N: 1, Initial: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := traceEnv(pl, tracing.EnvDir)
	if dir == "" || !strings.Contains(traceEnv(pl, "PYTHONPATH"), "lywatch-trace-") {
		t.Fatalf("the plan gives the build no trace channel: %v", pl.Env)
	}
	v1 := map[string][]string{"chip": {"mzi", "pad"}, "mzi": nil, "pad": nil}
	for i, cells := range []map[string][]string{{"mzi": nil}, {"chip": {"mzi"}, "mzi": nil}, v1} {
		traceFrame(t, filepath.Join(dir, "chip"), i+1, fmt.Sprintf("step %d", i+1), cells)
	}
	select {
	case got := <-push.pushed:
		if got != p.TraceView("chip") {
			t.Errorf("live push of %s, want the trace view %s", got, p.TraceView("chip"))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no trace frame was pushed live")
	}
	push.mu.Lock()
	first := push.layouts[0]
	push.mu.Unlock()
	checkTracePush(t, first, filepath.Join(dir, "chip"))

	step3, err := os.ReadFile(filepath.Join(dir, "chip", "000003.gds"))
	if err != nil {
		t.Fatal(err)
	}
	reps := build(t, p, "chip", v1, nil)
	if got := names(reps); got != "read,trace,push,save,history" {
		t.Errorf("stages %s", got)
	}
	if c := stageReport(t, reps, "read").Cells; c == nil || !reflect.DeepEqual(c.Changed, []string{"chip", "mzi", "pad"}) || len(c.Removed) != 0 {
		t.Errorf("first build's cells %+v", c)
	}
	tr := stageReport(t, reps, "trace").Trace
	if tr == nil || len(tr.Frames) != 3 || tr.Frames[2].Label != "step 3" || tr.Frames[2].Step != 3 {
		t.Fatalf("trace report %+v", tr)
	}
	if f := stageReport(t, reps, "history").Frame; f == nil || *f != (loop.FrameReport{Seq: 1, Added: true, TraceSteps: 3}) {
		t.Errorf("history report %+v", f)
	}

	// The same layout again (a new cycle, no trace): no frame added.
	if _, err := p.Plan(context.Background(), &loop.Cycle{N: 2, Changes: edit(filepath.Join(proj.Dir, "pdk", "lib.py"), "x")}); err != nil {
		t.Fatal(err)
	}
	reps = build(t, p, "chip", v1, nil)
	if f := stageReport(t, reps, "history").Frame; f == nil || *f != (loop.FrameReport{Seq: 1}) {
		t.Errorf("identical rebuild: history %+v", f)
	}
	if n := stageReport(t, reps, "history").Note; n != "frame 1, the same layout" {
		t.Errorf("identical rebuild's note %q", n)
	}

	// pad removed, mzi changed.
	if _, err := p.Plan(context.Background(), &loop.Cycle{N: 3, Changes: edit(filepath.Join(proj.Dir, "pdk", "lib.py"), "y")}); err != nil {
		t.Fatal(err)
	}
	reps = build(t, p, "chip", map[string][]string{"chip": {"mzi"}, "mzi": nil}, map[string]int32{"mzi": 30})
	if c := stageReport(t, reps, "read").Cells; c == nil || !reflect.DeepEqual(c.Changed, []string{"chip", "mzi"}) || !reflect.DeepEqual(c.Removed, []string{"pad"}) {
		t.Errorf("third build's cells %+v", c)
	}
	if f := stageReport(t, reps, "history").Frame; f == nil || f.Seq != 2 || !f.Added {
		t.Errorf("third build: history %+v", f)
	}

	h, err := ReadHistory(proj)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Targets) != 1 || len(h.Targets[0].Frames) != 2 {
		t.Fatalf("history %+v", h)
	}
	f1, f2 := h.Targets[0].Frames[0], h.Targets[0].Frames[1]
	if f1.TraceSteps != 3 || f1.Status != FrameOK || f2.Status != FrameCurrent || !reflect.DeepEqual(f2.Removed, []string{"pad"}) {
		t.Errorf("frames %+v %+v", f1, f2)
	}
	if h.Targets[0].Output != filepath.Join(proj.Dir, "build", "chip.gds") {
		t.Errorf("output %q", h.Targets[0].Output)
	}

	rec, err := OpenRecorded(proj, "")
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	fr, _ := rec.Frame(1)
	step, err := rec.Step(fr, 2)
	if err != nil {
		t.Fatal(err)
	}
	if string(step) != string(step3) {
		t.Error("trace step 3 read back differs from what the build wrote")
	}
}

func TestParseStatus(t *testing.T) {
	tracked := map[string]bool{"pdk/a.py": true, "pdk/data.yaml": true}
	oid := "# branch.oid 0123456789abcdef0123456789abcdef01234567\x00# branch.head main\x00"
	tests := []struct {
		name, out  string
		wantCommit string
		wantDirty  bool
	}{
		{"clean", oid, "0123456789abcdef0123456789abcdef01234567", false},
		{"a build output beside", oid + "? pdk/build/chip.gds\x00", "0123456789abcdef0123456789abcdef01234567", false},
		{"a source modified", oid + "1 .M N... 100644 100644 100644 abc abc pdk/a.py\x00", "0123456789abcdef0123456789abcdef01234567", true},
		{"a data file staged", oid + "1 M. N... 100644 100644 100644 abc abd pdk/data.yaml\x00", "0123456789abcdef0123456789abcdef01234567", true},
		{"a new source untracked", oid + "? pdk/new.py\x00", "0123456789abcdef0123456789abcdef01234567", true},
		{"a source renamed", oid + "2 R. N... 100644 100644 100644 abc abc R100 pdk/b.py\x00pdk/a.py\x00", "0123456789abcdef0123456789abcdef01234567", true},
		{"a path with spaces", oid + "1 .M N... 100644 100644 100644 abc abc pdk/my file.txt\x00", "0123456789abcdef0123456789abcdef01234567", false},
		{"nothing committed", "# branch.oid (initial)\x00", "", false},
	}
	for _, tt := range tests {
		c, d := parseStatus([]byte(tt.out), tracked)
		if c != tt.wantCommit || d != tt.wantDirty {
			t.Errorf("%s: commit %q dirty %v; want %q %v", tt.name, c, d, tt.wantCommit, tt.wantDirty)
		}
	}
}

// TestTraceOff: with tracing off the builds still find the module (a
// build that imports it runs) but get no trace folder.
func TestTraceOff(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	p := open(t, Options{Project: proj, Trace: &TraceOptions{Off: true}})
	defer p.Close()
	pl, err := p.Plan(context.Background(), &loop.Cycle{N: 1, Initial: true})
	if err != nil {
		t.Fatal(err)
	}
	if traceEnv(pl, tracing.EnvDir) != "" || traceEnv(pl, tracing.EnvShowFunction) != "" {
		t.Errorf("tracing off, yet the build gets %v", pl.Env)
	}
	py := strings.Split(traceEnv(pl, "PYTHONPATH"), string(os.PathListSeparator))[0]
	if _, err := os.Stat(filepath.Join(py, tracing.ModuleName, "__init__.py")); err != nil {
		t.Errorf("the module is not on the build's PYTHONPATH (%v): %v", pl.Env, err)
	}
	if reps := build(t, p, "chip", map[string][]string{"chip": nil}, nil); names(reps) != "read" {
		t.Errorf("stages %s", names(reps))
	}
}

// TestHistoryOfAnUnknownTarget names the targets that have one.
func TestHistoryOfAnUnknownTarget(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	proj.SessionDir = filepath.Join(proj.Root, "build", "session")
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	st, err := session.Open(proj.SessionDir, session.Options{Root: proj.Root})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := open(t, Options{Project: proj, Store: st})
	build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	if _, err := ReadHistory(proj, "ring"); err == nil || !strings.Contains(err.Error(), `no history for target "ring"`) || !strings.Contains(err.Error(), "chip") {
		t.Errorf("unknown target: %v", err)
	}
	if h, err := ReadHistory(proj, "chip"); err != nil || len(h.Targets) != 1 || len(h.Targets[0].Frames) != 1 {
		t.Errorf("chip: %+v, %v", h, err)
	}
	if _, err := OpenRecorded(proj, "ring"); err == nil {
		t.Error("replay of an unknown target opened")
	}
}
