package pipeline

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/loop"
)

// rdbPusher is a fakePusher that also shows report databases.
type rdbPusher struct {
	fakePusher
	mu    sync.Mutex
	shown []string
}

func (p *rdbPusher) ShowRDB(_ context.Context, path string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shown = append(p.shown, path)
	return "shown", nil
}

// stageNote returns the note of the stage called name, and whether it ran.
func stageNote(reps []loop.StageReport, name string) (string, bool) {
	for _, r := range reps {
		if r.Name == name {
			return r.Note, true
		}
	}
	return "", false
}

// TestShowDiffStage: with a diff folder, each good build after the first
// is compared with the previous good layout by KLayout's XOR, after the
// push and the save, and the report database is shown, replacing the last
// one; a pipeline opened on a session compares its first build with the
// session's layout.
func TestShowDiffStage(t *testing.T) {
	testsupport.KLayout(t)
	proj := testProject(t, copyMap(pdk), chipTarget())
	store, push := newFakeStore(t), &rdbPusher{}
	p := open(t, Options{Project: proj, Store: store, Pusher: push, DiffDir: t.TempDir()})
	reps := build(t, p, "chip", map[string][]string{"TOP": {"A"}, "A": nil}, nil)
	if _, ran := stageNote(reps, "diff"); ran || names(reps) != "read,push,save" {
		t.Errorf("first build: stages %s, want no diff (nothing to compare with)", names(reps))
	}
	reps = build(t, p, "chip", map[string][]string{"TOP": {"A"}, "A": nil}, nil)
	if note, _ := stageNote(reps, "diff"); note != "same geometry; shown" || names(reps) != "read,push,save,diff" {
		t.Errorf("the same layout again: stages %s, diff %q", names(reps), note)
	}
	reps = build(t, p, "chip", map[string][]string{"TOP": {"A"}, "A": nil}, map[string]int32{"A": 20})
	if note, _ := stageNote(reps, "diff"); note != "1 cell differs: 0.0003 µm² on 1/0; shown" {
		t.Errorf("a wider A: diff %q", note)
	}
	if len(push.shown) != 2 || push.shown[0] != push.shown[1] || !strings.HasSuffix(push.shown[0], ".lyrdb") {
		t.Errorf("report databases shown: %q, want one path, twice (replaced)", push.shown)
	}
	if b, err := os.ReadFile(push.shown[1]); err != nil || !strings.Contains(string(b), "<category>") {
		t.Errorf("the last report database has no category: %v", err)
	}

	// Reopened on the session: the first build is compared with the
	// session's last good layout (A 20 wide).
	p = open(t, Options{Project: proj, Store: store, Pusher: push, DiffDir: t.TempDir()})
	if _, err := p.Plan(context.Background(), &loop.Cycle{N: 1, Initial: true}); err != nil {
		t.Fatal(err)
	}
	reps = build(t, p, "chip", map[string][]string{"TOP": {"A"}, "A": nil}, map[string]int32{"A": 30})
	if note, _ := stageNote(reps, "diff"); note != "1 cell differs: 0.0005 µm² on 1/0; shown" {
		t.Errorf("first build after a restart: diff %q", note)
	}
}
