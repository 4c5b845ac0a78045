package tracing

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestPyaObjectsAndInserts traces pya objects in a KLayout batch build:
// a Layout, a Cell, and every insert while trace_inserts is on. KLayout
// reads each frame back and counts its shapes.
func TestPyaObjectsAndInserts(t *testing.T) {
	kl := testsupport.KLayout(t)
	ch, err := Open(Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	cy, env, err := ch.Begin(context.Background(), 1, []string{"default"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runBuild(t, kl, `
import pya, lywatch_trace
ly = pya.Layout()
top = ly.create_cell("TOP")
sub = ly.create_cell("SUB")
l1 = ly.layer(1, 0)
sub.shapes(l1).insert(pya.Box(0, 0, 100, 100))
lywatch_trace.frame(ly, label="layout")
lywatch_trace.frame(sub, label="cell")
lywatch_trace.trace_inserts()
top.shapes(l1).insert(pya.Box(200, 0, 300, 100))
top.insert(pya.CellInstArray(sub.cell_index(), pya.Trans(0, 500)))
lywatch_trace.stop_inserts()
top.shapes(l1).insert(pya.Box(400, 0, 500, 100))  # not traced
`, env, "")
	frames, dropped := cy.Take("default")
	if len(frames) != 4 || dropped != 0 {
		t.Fatalf("%d frames, %d dropped; want 4: %+v", len(frames), dropped, frames)
	}
	want := []struct{ label, cell, shapes string }{
		{"layout", "", "TOP=0 SUB=1"}, {"cell", "SUB", "SUB=1"},
		{"insert 1", "", "TOP=1 SUB=1"}, {"insert 2", "TOP", "TOP=1 SUB=1 placed=1"},
	}
	paths := make([]string, len(frames))
	for i, f := range frames {
		paths[i] = f.Path
	}
	// One KLayout reads every frame back.
	got := strings.Split(testsupport.Batch(t, `
import pya
for path in paths.split(","):
    ly = pya.Layout()
    ly.read(path)
    out = []
    for c in ly.each_cell():
        out.append("%s=%d" % (c.name, c.shapes(ly.layer(1, 0)).size()))
    top = ly.cell("TOP")
    if top is not None and top.child_instances():
        out.append("placed=%d" % top.child_instances())
    print(" ".join(out))
`, map[string]string{"paths": strings.Join(paths, ",")}), "\n")
	for i, f := range frames {
		if i >= len(got) || f.Label != want[i].label || f.Cell != want[i].cell || !sameWords(got[i], want[i].shapes) {
			t.Errorf("frame %d: label %q cell %q holds %q; want %+v", i+1, f.Label, f.Cell, got, want[i])
		}
	}
	if _, err := os.Stat(frames[0].Path); err != nil {
		t.Fatal(err)
	}
}

func sameWords(a, b string) bool {
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) != len(wb) {
		return false
	}
	seen := map[string]int{}
	for _, w := range wa {
		seen[w]++
	}
	for _, w := range wb {
		if seen[w] == 0 {
			return false
		}
		seen[w]--
	}
	return true
}
