package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/watcher"
)

// The pipeline's open, plan and stage logic, with a fake session store and
// a fake pusher: no KLayout and no real build (a "build" here is writing
// the layout the test wants). The end-to-end tests live in cmd/lywatch.

var pdk = map[string]string{
	"pdk/__init__.py": "",
	"pdk/cell.py":     "def cell(f):\n    return f\n",
	"pdk/helpers.py":  "def width():\n    return 1\n\n\ndef unused():\n    return 0\n",
	"pdk/parts.py": "from pdk.cell import cell\nfrom pdk.helpers import width\n\n\n@cell\ndef straight():\n    return width()\n\n\n" +
		"@cell\ndef bend():\n    return 2\n",
	"pdk/chip.py": "from pdk.parts import straight, bend\n\nstraight()\nbend()\n",
	"pdk/lib.py":  "from pdk.parts import straight\n\nstraight()\n",
}

func chipTarget() config.Target {
	return config.Target{Name: "chip", Command: []string{"true"}, Output: "build/chip.gds", Entry: []string{"pdk/chip.py"}}
}

func libTarget() config.Target {
	return config.Target{Name: "lib", Command: []string{"true"}, Output: "build/lib.gds", Entry: []string{"pdk/lib.py"}}
}

func edit(path, hash string) watcher.ChangeSet {
	return watcher.ChangeSet{Changes: []watcher.Change{{Path: path, Kind: watcher.Modified, OldHash: "a", NewHash: hash}}}
}

func open(t *testing.T, o Options) *Pipeline {
	t.Helper()
	p, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// build plays one good build of target t: it writes the layout and runs
// the stages after the build.
func build(t *testing.T, p *Pipeline, target string, cells map[string][]string, size map[string]int32) []loop.StageReport {
	t.Helper()
	pt, _ := p.proj.Target(target)
	writeLayout(t, pt.Output, cells, size)
	reps := p.After(context.Background(), &loop.Build{Target: loop.Target{Name: pt.Name, Command: pt.Command, Output: pt.Output}})
	for _, r := range reps {
		if r.Error != "" {
			t.Fatalf("stage %s failed: %s", r.Name, r.Error)
		}
	}
	return reps
}

func names(reps []loop.StageReport) string {
	var out []string
	for _, r := range reps {
		out = append(out, r.Name)
	}
	return strings.Join(out, ",")
}

func TestOpenWithoutSessionBuildsEveryTargetInOrder(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget(), libTarget())
	p := open(t, Options{Project: proj})
	pl, err := p.Plan(context.Background(), &loop.Cycle{N: 1, Initial: true})
	if err != nil || !reflect.DeepEqual(pl.Targets, []string{"chip", "lib"}) || len(pl.Cached) != 0 {
		t.Errorf("start-up plan %+v, %v; want both targets in configuration order (no layouts known yet)", pl, err)
	}
}

func TestPlanFollowsTheGraphAndKeepsFailedTargets(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget(), libTarget())
	p := open(t, Options{Project: proj})
	ctx := context.Background()
	p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": {"straight_L1"}, "straight_L1": nil}, nil)
	build(t, p, "lib", map[string][]string{"LIBTOP": nil}, nil)

	// bend is used by chip alone.
	writeTestFile(t, filepath.Join(proj.Dir, "pdk/parts.py"), strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1))
	pl, err := p.Plan(ctx, &loop.Cycle{N: 2, Changes: edit(filepath.Join(proj.Dir, "pdk/parts.py"), "b")})
	if err != nil || !reflect.DeepEqual(pl.Targets, []string{"chip"}) || !reflect.DeepEqual(pl.Invalidated, []string{"bend"}) {
		t.Fatalf("plan after an edit of bend: %+v, %v", pl, err)
	}
	if !strings.Contains(strings.Join(pl.Env, "\n"), EnvInvalidated+"=bend") {
		t.Errorf("the build's environment lacks %s: %q", EnvInvalidated, pl.Env)
	}
	// The build of chip fails (no After): a comment-only edit retries it.
	writeTestFile(t, filepath.Join(proj.Dir, "pdk/helpers.py"), pdk["pdk/helpers.py"]+"# a comment\n")
	pl, _ = p.Plan(ctx, &loop.Cycle{N: 3, Changes: edit(filepath.Join(proj.Dir, "pdk/helpers.py"), "c")})
	if !reflect.DeepEqual(pl.Targets, []string{"chip"}) || pl.Note != "retrying the last failed build" || !reflect.DeepEqual(pl.Invalidated, []string{"bend"}) {
		t.Errorf("after a failed build, a comment edit: %+v", pl)
	}
	build(t, p, "chip", map[string][]string{"chip": {"straight_L1"}, "straight_L1": nil}, nil)
	pl, _ = p.Plan(ctx, &loop.Cycle{N: 4, Changes: edit(filepath.Join(proj.Dir, "pdk/helpers.py"), "d")})
	if len(pl.Targets) != 0 || pl.Note != "no code changed" {
		t.Errorf("after the good build, nothing is pending: %+v", pl)
	}
}

// The one build order: a target after those whose layouts it places,
// from the last good layouts, whatever the configuration's order.
func TestPlanOrdersTargetsByTheirLayouts(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget(), libTarget())
	p := open(t, Options{Project: proj})
	ctx := context.Background()
	p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": {"LIBTOP"}, "LIBTOP": nil}, nil)
	build(t, p, "lib", map[string][]string{"LIBTOP": nil}, nil)
	// straight is used by both entries.
	writeTestFile(t, filepath.Join(proj.Dir, "pdk/helpers.py"), strings.Replace(pdk["pdk/helpers.py"], "return 1", "return 9", 1))
	pl, _ := p.Plan(ctx, &loop.Cycle{N: 2, Changes: edit(filepath.Join(proj.Dir, "pdk/helpers.py"), "b")})
	if !reflect.DeepEqual(pl.Targets, []string{"lib", "chip"}) {
		t.Errorf("targets %v; want lib before chip, whose layout places lib's top cell", pl.Targets)
	}
	if got := p.Targets(); got[0].Name != "lib" || got[1].Name != "chip" {
		t.Errorf("Targets() %v; want the same order", got)
	}
}

func TestBuildOrder(t *testing.T) {
	tests := []struct {
		name        string
		keys        []string
		deps        session.Dependencies
		order, loop []string
	}{
		{"configuration order", []string{"b", "a"}, nil, []string{"b", "a"}, nil},
		{"chain", []string{"chip", "lib", "base"}, session.Dependencies{"chip": {"lib"}, "lib": {"base"}}, []string{"base", "lib", "chip"}, nil},
		{"only the keys given", []string{"chip"}, session.Dependencies{"chip": {"lib"}}, []string{"chip"}, nil},
		{"diamond", []string{"top", "b", "a", "base"}, session.Dependencies{"top": {"a", "b"}, "a": {"base"}, "b": {"base"}}, nil, nil},
		{"cycle", []string{"a", "b", "c"}, session.Dependencies{"a": {"b"}, "b": {"a"}}, []string{"b", "a", "c"}, []string{"a", "b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order, cycle := buildOrder(tt.keys, tt.deps)
			if tt.name == "diamond" {
				pos := map[string]int{}
				for i, k := range order {
					pos[k] = i
				}
				if len(order) != 4 || pos["base"] > pos["a"] || pos["base"] > pos["b"] || pos["top"] != 3 {
					t.Errorf("order %v breaks a dependency", order)
				}
				return
			}
			if !reflect.DeepEqual(order, tt.order) || !reflect.DeepEqual(cycle, tt.loop) {
				t.Errorf("order %v, cycle %v; want %v, %v", order, cycle, tt.order, tt.loop)
			}
		})
	}
}

// Showing never waits for saving: the push runs while the save is held.
func TestPushDoesNotWaitForTheSave(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	st := newFakeStore(t)
	st.saveGate = make(chan struct{})
	pu := &fakePusher{pushed: make(chan string, 1)}
	p := open(t, Options{Project: proj, Store: st, Pusher: pu})
	p.Plan(context.Background(), &loop.Cycle{N: 1, Initial: true})
	go func() {
		select {
		case <-pu.pushed: // the push came while the save was held
		case <-time.After(10 * time.Second):
		}
		close(st.saveGate)
	}()
	start := time.Now()
	reps := build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	if names(reps) != "read,push,save" || pu.count() != 1 || st.saves != 1 {
		t.Fatalf("stages %q, %d pushes, %d saves", names(reps), pu.count(), st.saves)
	}
	if time.Since(start) > 9*time.Second {
		t.Errorf("the push waited for the save")
	}
}

// A failed save is reported; the layout was shown all the same, and the
// previous session (the first build's manifest and layout) stays intact.
func TestFailedSaveIsReported(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	st := newFakeStore(t)
	pu := &fakePusher{}
	p := open(t, Options{Project: proj, Store: st, Pusher: pu})
	p.Plan(context.Background(), &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	first, err := st.Load("chip")
	if err != nil || first == nil {
		t.Fatalf("the first build saved no session: %v", err)
	}
	firstLayout, err := os.ReadFile(st.LayoutPath("chip"))
	if err != nil {
		t.Fatal(err)
	}

	st.saveErr = errors.New("disk full")
	pt, _ := proj.Target("chip")
	writeLayout(t, pt.Output, map[string][]string{"chip": {"straight_L1"}, "straight_L1": nil}, nil)
	reps := p.After(context.Background(), &loop.Build{Target: loop.Target{Name: "chip", Output: pt.Output}})
	if len(reps) != 3 || reps[2].Name != "save" || reps[2].Error != "disk full" || reps[1].Name != "push" || reps[1].Error != "" || pu.count() != 2 {
		t.Errorf("reports %+v, %d pushes; want the second layout pushed and the save's error", reps, pu.count())
	}
	if m, err := st.Load("chip"); err != nil || !reflect.DeepEqual(m, first) {
		t.Errorf("after a failed save the session holds %+v (%v); want the first build's manifest %+v", m, err, first)
	}
	if b, err := os.ReadFile(st.LayoutPath("chip")); err != nil || !bytes.Equal(b, firstLayout) {
		t.Errorf("after a failed save the session's layout changed (%v)", err)
	}
}

// A layout that does not read fails at read: nothing is pushed or saved,
// and KLayout shows a note saying so while the last good layout stays.
func TestUnreadableLayoutShowsNothing(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	st, pu := newFakeStore(t), &fakePusher{}
	p := open(t, Options{Project: proj, Store: st, Pusher: pu})
	pt, _ := proj.Target("chip")
	writeTestFile(t, pt.Output, "not a layout")
	reps := p.After(context.Background(), &loop.Build{Target: loop.Target{Name: "chip", Output: pt.Output}})
	if names(reps) != "read" || reps[0].Error == "" || pu.count() != 0 || st.saves != 0 {
		t.Errorf("reports %+v, %d pushes, %d saves", reps, pu.count(), st.saves)
	}
	notes := pu.waitNotes(t, 1)
	want := "lywatch: the layout does not read: " + pt.Output + ": "
	if len(notes) != 1 || !strings.HasPrefix(notes[0], want) || !strings.HasSuffix(notes[0], "; the last good layout stays") {
		t.Errorf("notes %q, want one starting %q", notes, want)
	}
}

// A failed build is noted in KLayout with the build's last line.
func TestFailedBuildNote(t *testing.T) {
	tests := []struct {
		target string
		res    runner.Result
		want   string
	}{
		{"chip", runner.Result{ExitCode: 1, LastLine: "NameError: name 'widht' is not defined"},
			"lywatch: the build of chip failed (exit 1): NameError: name 'widht' is not defined; the last good layout stays"},
		{"", runner.Result{ExitCode: 2}, "lywatch: the build failed (exit 2); the last good layout stays"},
		{"chip", runner.Result{TimedOut: true, ExitCode: -1}, "lywatch: the build of chip failed (timed out); the last good layout stays"},
	}
	for _, tt := range tests {
		proj := testProject(t, copyMap(pdk), chipTarget())
		pu := &fakePusher{}
		p := open(t, Options{Project: proj, Store: newFakeStore(t), Pusher: pu})
		p.Failed(context.Background(), loop.Target{Name: tt.target}, &tt.res)
		if notes := pu.waitNotes(t, 1); len(notes) != 1 || notes[0] != tt.want {
			t.Errorf("notes %q, want %q", notes, tt.want)
		}
	}
}

// The next start serves what the session holds: no build, the cached
// layout shown; an edit that reaches a target makes it stale, and one that
// does not keeps it served.
func TestOpenServesTheSession(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget(), libTarget())
	st := newFakeStore(t)
	ctx := context.Background()
	p := open(t, Options{Project: proj, Store: st})
	p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": {"straight_L1"}, "straight_L1": nil}, nil)
	build(t, p, "lib", map[string][]string{"LIBTOP": nil}, nil)

	pu := &fakePusher{}
	p = open(t, Options{Project: proj, Store: st, Pusher: pu})
	pl, _ := p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	if len(pl.Targets) != 0 || !reflect.DeepEqual(pl.Cached, []string{"chip", "lib"}) || pl.Note != "session valid" {
		t.Fatalf("nothing changed: plan %+v", pl)
	}
	reps := p.Cached(ctx, loop.Target{Name: "chip"})
	if names(reps) != "push" || pu.count() != 1 {
		t.Errorf("cached chip: reports %+v, %d pushes", reps, pu.count())
	}

	// bend is used by chip alone: lib stays served.
	writeTestFile(t, filepath.Join(proj.Dir, "pdk/parts.py"), strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1))
	p = open(t, Options{Project: proj, Store: st})
	pl, _ = p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	if !reflect.DeepEqual(pl.Targets, []string{"chip"}) || !reflect.DeepEqual(pl.Cached, []string{"lib"}) ||
		pl.Note != "1 file changed since the session" {
		t.Errorf("after an edit of bend: plan %+v", pl)
	}
}

// With no build at start-up and no session, nothing is pending: a
// comment-only edit builds nothing and retries nothing.
func TestNoInitialPendsNothing(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	p := open(t, Options{Project: proj, NoInitial: true})
	if p.ServesCache() {
		t.Error("no session, yet it serves a cache")
	}
	writeTestFile(t, filepath.Join(proj.Dir, "pdk/helpers.py"), pdk["pdk/helpers.py"]+"# a comment\n")
	pl, _ := p.Plan(context.Background(), &loop.Cycle{N: 1, Changes: edit(filepath.Join(proj.Dir, "pdk/helpers.py"), "b")})
	if len(pl.Targets) != 0 || pl.Note != "no code changed" {
		t.Errorf("plan %+v", pl)
	}
}

// The summary's cell count tells cells changed in themselves from those
// changed only through a child.
func TestReadCountsOwnAndChildChanges(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	p := open(t, Options{Project: proj})
	cells := map[string][]string{"chip": {"mzi"}, "mzi": {"taper"}, "taper": nil, "pad": nil}
	if reps := build(t, p, "chip", cells, nil); reps[0].Note != "4 cells, 4 changed" {
		t.Errorf("first read: %q", reps[0].Note)
	}
	reps := build(t, p, "chip", cells, map[string]int32{"taper": 20})
	if reps[0].Note != "4 cells, 1 changed, 2 with changed children" {
		t.Errorf("one leaf edited: %q", reps[0].Note)
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// A build is told of every file changed since its target's last good
// build: the files of a cycle whose build failed are carried over (see
// TestFailedBuildsFilesReachTheNextBuild for the same through the loop).
func TestFailedCyclesFilesAreCarriedOver(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	p := open(t, Options{Project: proj})
	ctx := context.Background()
	p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	parts, helpers := filepath.Join(proj.Dir, "pdk/parts.py"), filepath.Join(proj.Dir, "pdk/helpers.py")
	writeTestFile(t, parts, strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1))
	if pl, _ := p.Plan(ctx, &loop.Cycle{N: 2, Changes: edit(parts, "b")}); pl.Changes == nil || len(pl.Changes.Changes) != 1 {
		t.Fatalf("cycle 2: %+v", pl)
	}
	// Its build fails; the next edit's build is told of both files.
	p.Failed(ctx, loop.Target{Name: "chip"}, &runner.Result{ExitCode: 3, LastLine: "ValueError: width"})
	writeTestFile(t, helpers, strings.Replace(pdk["pdk/helpers.py"], "return 1", "return 5", 1))
	pl, _ := p.Plan(ctx, &loop.Cycle{N: 3, Changes: edit(helpers, "c")})
	if pl.Changes == nil || !reflect.DeepEqual(pl.Changes.Paths(), []string{helpers, parts}) && !reflect.DeepEqual(pl.Changes.Paths(), []string{parts, helpers}) {
		t.Errorf("cycle 3 tells the build of %v; want both files", pl.Changes)
	}
	build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	writeTestFile(t, helpers, pdk["pdk/helpers.py"])
	pl, _ = p.Plan(ctx, &loop.Cycle{N: 4, Changes: edit(helpers, "d")})
	if pl.Changes == nil || len(pl.Changes.Changes) != 1 {
		t.Errorf("after a good build, cycle 4 tells the build of %v; want its own file only", pl.Changes)
	}
}
