package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/watcher"
)

// TestPlanHandsTheLoopItsSchedule: a plan says which targets each target's
// layout places (Uses), which targets the change reaches (Reached), the
// modules a warm worker compiles again (Reload) and its generation.
func TestPlanHandsTheLoopItsSchedule(t *testing.T) {
	chip := chipTarget()
	chip.Warm = true // Reload is made for warm workers only
	proj := testProject(t, copyMap(pdk), chip, libTarget())
	p := open(t, Options{Project: proj})
	ctx := context.Background()
	first, _ := p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": {"LIBTOP"}, "LIBTOP": nil}, nil)
	build(t, p, "lib", map[string][]string{"LIBTOP": nil}, nil)
	// bend is used by chip alone; lib stays built.
	parts := filepath.Join(proj.Dir, "pdk/parts.py")
	now := strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1)
	writeTestFile(t, parts, now)
	pl, err := p.Plan(ctx, &loop.Cycle{N: 2, Changes: editOf(parts, pdk["pdk/parts.py"], now)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pl.Uses, map[string][]string{"chip": {"lib"}, "lib": {}}) {
		t.Errorf("Uses %v; want chip using lib, whose top cell its layout places", pl.Uses)
	}
	if !reflect.DeepEqual(pl.Reached, []string{"chip"}) || !reflect.DeepEqual(pl.Targets, []string{"chip"}) {
		t.Errorf("Reached %v, Targets %v; want chip alone", pl.Reached, pl.Targets)
	}
	if want := []string{"pdk.chip", "pdk.lib", "pdk.parts"}; !reflect.DeepEqual(pl.Reload, want) {
		t.Errorf("Reload %v, want %v (parts and its importers)", pl.Reload, want)
	}
	if pl.Generation <= first.Generation {
		t.Errorf("generations %d then %d: want them to grow", first.Generation, pl.Generation)
	}
	// An edit whose old content is not what the graph read (it read the
	// file after the edit, at start-up): the graph cannot tell what it
	// reaches, so it reaches every target.
	again := strings.Replace(now, "return 3", "return 4", 1)
	writeTestFile(t, parts, again)
	pl, _ = p.Plan(ctx, &loop.Cycle{N: 3, Changes: editOf(parts, "something else", again)})
	if !reflect.DeepEqual(pl.Reached, []string{"chip", "lib"}) {
		t.Errorf("an edit the graph did not see start: Reached %v, want every target", pl.Reached)
	}
}

// editOf is the change of a file from one content to another.
func editOf(path, was, now string) watcher.ChangeSet {
	return watcher.ChangeSet{Changes: []watcher.Change{{Path: path, Kind: watcher.Modified, OldHash: sha(was), NewHash: sha(now)}}}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestGoodBuildSettlesOnlyWhatItsPlanSaw: a build made with an earlier
// plan that ends well after a later plan marked its target again (an edit
// during its stages) settles the earlier marks alone: the target stays
// pending with the later edit's factories.
func TestGoodBuildSettlesOnlyWhatItsPlanSaw(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	p := open(t, Options{Project: proj})
	ctx := context.Background()
	p.Plan(ctx, &loop.Cycle{N: 1, Initial: true})
	build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	parts := filepath.Join(proj.Dir, "pdk/parts.py")
	writeTestFile(t, parts, strings.Replace(pdk["pdk/parts.py"], "return 2", "return 3", 1))
	older, _ := p.Plan(ctx, &loop.Cycle{N: 2, Changes: edit(parts, "b")})
	writeTestFile(t, filepath.Join(proj.Dir, "pdk/helpers.py"), strings.Replace(pdk["pdk/helpers.py"], "return 1", "return 5", 1))
	newer, _ := p.Plan(ctx, &loop.Cycle{N: 3, Changes: edit(filepath.Join(proj.Dir, "pdk/helpers.py"), "c")})
	if !reflect.DeepEqual(newer.Invalidated, []string{"bend", "straight"}) {
		t.Fatalf("the later plan invalidates %v", newer.Invalidated)
	}
	buildWith(t, p, older, "chip")
	pl, _ := p.Plan(ctx, &loop.Cycle{N: 4, Changes: edit(filepath.Join(proj.Dir, "pdk/cell.py"), "d")})
	if !reflect.DeepEqual(pl.Targets, []string{"chip"}) || !reflect.DeepEqual(pl.Invalidated, []string{"straight"}) {
		t.Errorf("after a good build of the earlier plan: targets %v, invalidated %v; want chip, with straight (the later edit) pending", pl.Targets, pl.Invalidated)
	}
	buildWith(t, p, pl, "chip")
	if pl, _ := p.Plan(ctx, &loop.Cycle{N: 5, Changes: edit(filepath.Join(proj.Dir, "pdk/cell.py"), "e")}); len(pl.Targets) != 0 {
		t.Errorf("after a good build of the latest plan, still pending: %v", pl.Targets)
	}
}

// buildWith plays one good build of a target made with plan pl.
func buildWith(t *testing.T, p *Pipeline, pl *loop.Plan, target string) {
	t.Helper()
	pt, _ := p.proj.Target(target)
	writeLayout(t, pt.Output, map[string][]string{"chip": nil}, nil)
	for _, r := range p.After(context.Background(), &loop.Build{Target: loop.Target{Name: pt.Name, Output: pt.Output}, Plan: pl}) {
		if r.Error != "" {
			t.Fatalf("stage %s: %s", r.Name, r.Error)
		}
	}
}

// TestSessionLayoutOnlyWhenExact: a build is given its session layout
// (LYWATCH_SESSION_LAYOUT) only when the session holds the layout of its
// last good build and every change since is known factory by factory.
func TestSessionLayoutOnlyWhenExact(t *testing.T) {
	proj := testProject(t, copyMap(pdk), chipTarget())
	st := newFakeStore(t)
	p := open(t, Options{Project: proj, Store: st})
	ctx := context.Background()
	layout := EnvSessionLayout + "=" + st.LayoutPath("chip")
	parts := filepath.Join(proj.Dir, "pdk/parts.py")
	n := 1
	plan := func(what string) *loop.Plan {
		n++
		writeTestFile(t, parts, strings.Replace(pdk["pdk/parts.py"], "return 2", "return "+what, 1))
		pl, err := p.Plan(ctx, &loop.Cycle{N: n, Changes: edit(parts, what)})
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	if pl, _ := p.Plan(ctx, &loop.Cycle{N: 1, Initial: true}); len(pl.TargetEnv["chip"]) != 0 {
		t.Errorf("the first build is given %v", pl.TargetEnv)
	}
	if pl := plan("3"); len(pl.TargetEnv["chip"]) != 0 {
		t.Errorf("before any good build: %v", pl.TargetEnv)
	}
	build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	if pl := plan("4"); !reflect.DeepEqual(pl.TargetEnv["chip"], []string{layout}) {
		t.Errorf("after a good build saved: %v, want %s", pl.TargetEnv, layout)
	}
	// A file the graph does not cover: any cell may be stale.
	outside := filepath.Join(t.TempDir(), "data.csv")
	pl, _ := p.Plan(ctx, &loop.Cycle{N: 10, Changes: edit(outside, "z")})
	if len(pl.TargetEnv["chip"]) != 0 {
		t.Errorf("after an edit outside the graph: %v", pl.TargetEnv)
	}
	build(t, p, "chip", map[string][]string{"chip": nil}, nil)
	// A good build whose save failed: the session holds an older layout.
	st.saveErr = errors.New("disk full")
	pt, _ := proj.Target("chip")
	writeLayout(t, pt.Output, map[string][]string{"chip": nil}, map[string]int32{"chip": 20})
	p.After(ctx, &loop.Build{Target: loop.Target{Name: "chip", Output: pt.Output}})
	if pl := plan("5"); len(pl.TargetEnv["chip"]) != 0 {
		t.Errorf("after a good build whose save failed: %v", pl.TargetEnv)
	}
}
