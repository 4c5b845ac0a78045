package depgraph

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestIncrementalMatchesFresh applies a series of edits to a copy of the
// example PDK, updating one graph incrementally, and checks after each that
// it equals a graph scanned from scratch.
func TestIncrementalMatchesFresh(t *testing.T) {
	e := newPDK(t, Options{})
	type edit struct {
		file, old, new string // old "" writes new as the whole file; new "" too deletes it
	}
	edits := []edit{
		{"mypdk/helpers.py", "def box(", "def unused_helper():\n    return 1\n\n\ndef box("},
		{"mypdk/components/pads.py", "def pad(", "def bond_pad("},
		{"mypdk/components/rings.py", "", "from mypdk.helpers import *\nfrom mypdk.cell import cell\n\n@cell\ndef ring():\n    return unused_helper() + box(0, 0, 1, 1)\n"},
		{"mypdk/helpers.py", "def unused_helper():\n    return 1\n", ""},
		{"mypdk/components/__init__.py", "from mypdk.components.pads import pad\n", "from mypdk.components.pads import bond_pad as pad\nfrom mypdk.components.rings import *\n"},
		{"mypdk/components/tapers.py", "", ""},
		{"mypdk/components/mmi.py", "from mypdk.components.tapers import SLAB_MARGIN, taper\n", "SLAB_MARGIN = 2.0\n\n\ndef taper(**kw):\n    return None\n"},
		{"mypdk/extra/__init__.py", "", "from mypdk.components import *\n"},
		{"mypdk/helpers.py", "import math\n", "import math\nfrom mypdk.extra import ring\n"},
	}
	for i, ed := range edits {
		p := filepath.Join(e.dir, filepath.FromSlash(ed.file))
		switch {
		case ed.old == "" && ed.new == "":
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		case ed.old == "":
			write(t, e.dir, ed.file, ed.new)
		default:
			b, err := os.ReadFile(p)
			if err != nil || !strings.Contains(string(b), ed.old) {
				t.Fatalf("edit %d: %s lacks %q (%v)", i, ed.file, ed.old, err)
			}
			write(t, e.dir, ed.file, strings.Replace(string(b), ed.old, ed.new, 1))
		}
		e.update(ed.file)
		fresh, err := Scan(context.Background(), e.g.opts)
		if err != nil {
			t.Fatal(err)
		}
		fresh.SetLayout("chip", pdkCells())
		got, want := e.g.Nodes(), fresh.Nodes()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("edit %d (%s): incremental graph differs from a fresh scan", i, ed.file)
			diffNodes(t, got, want)
		}
		if !reflect.DeepEqual(e.g.Cycles(), fresh.Cycles()) {
			t.Errorf("edit %d: cycles %v, fresh %v", i, e.g.Cycles(), fresh.Cycles())
		}
	}
}

func diffNodes(t *testing.T, got, want []NodeInfo) {
	t.Helper()
	m := map[string]NodeInfo{}
	for _, n := range want {
		m[n.ID] = n
	}
	shown := 0
	for _, n := range got {
		w, ok := m[n.ID]
		delete(m, n.ID)
		if shown < 5 && (!ok || !reflect.DeepEqual(n, w)) {
			t.Logf("got  %+v\nwant %+v", n, w)
			shown++
		}
	}
	for id := range m {
		if shown < 10 {
			t.Logf("missing %s", id)
			shown++
		}
	}
}
