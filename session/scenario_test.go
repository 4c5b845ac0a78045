package session

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRestartScenario walks the start-up story with a fake build:
// a restart with nothing changed shows the saved layout without building;
// a helper module edited while stopped makes the restart rebuild and never
// show the saved layout.
func TestRestartScenario(t *testing.T) {
	root := newRoot(t, srcFiles)
	ageFiles(t, root, srcPaths())
	builds, pushes := 0, []string{}
	build := func(s *Store) {
		builds++
		files, err := HashFiles(context.Background(), root, srcPaths()) // before the build reads them
		if err != nil {
			t.Fatal(err)
		}
		helper, _ := os.ReadFile(filepath.Join(root, "pdk/helpers.py"))
		out := filepath.Join(t.TempDir(), "chip.gds")
		writeFile(t, out, "layout from "+string(helper))
		m := testManifest(t, root, srcPaths(), builds)
		m.Files = files
		if err := s.Save("chip", m, out); err != nil {
			t.Fatal(err)
		}
		pushes = append(pushes, "built")
	}
	start := func() {
		s := openStore(t, root, Options{})
		defer s.Close()
		m, err := s.Load("chip")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if m == nil {
			build(s)
			return
		}
		v, err := Validate(context.Background(), root, m)
		if err != nil {
			t.Fatal(err)
		}
		if v.Valid() {
			pushes = append(pushes, "cached: "+gunzipFile(t, s.LayoutPath("chip")))
			return
		}
		build(s)
	}

	start() // first run: no session, build
	start() // nothing changed: cached, no build
	if builds != 1 || len(pushes) != 2 || pushes[1] != "cached: layout from "+srcFiles["pdk/helpers.py"] {
		t.Fatalf("restart with nothing changed: %d builds, pushes %q", builds, pushes)
	}
	// While stopped: edit the helper module that straight.py imports.
	writeFile(t, filepath.Join(root, "pdk/helpers.py"), "def width(): return 0.9\n")
	start()
	if builds != 2 || pushes[2] != "built" {
		t.Fatalf("restart after a helper edit: %d builds, pushes %q (the saved layout must not be shown)", builds, pushes)
	}
	start() // and that new state is what the next restart shows
	if builds != 2 || pushes[3] != "cached: layout from def width(): return 0.9\n" {
		t.Fatalf("restart after the rebuild: %d builds, pushes %q", builds, pushes)
	}
}
