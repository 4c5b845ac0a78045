package session

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKilledDuringSaves kills a process that saves in a loop at random
// moments, several times, and checks that each restart loads the last
// session saved or the one being saved, never a broken one.
func TestKilledDuringSaves(t *testing.T) {
	rounds := 8
	if testing.Short() {
		rounds = 3
	}
	root := newRoot(t, srcFiles)
	ageFiles(t, root, srcPaths())
	dir := DefaultDir(root)
	gen := 1
	for round := range rounds {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd, out, stop := startChild(ctx, t, "saveloop", childDirEnv+"="+dir, childRootEnv+"="+root, childGenEnv+"="+strconv.Itoa(gen))
		lines := make(chan string)
		go func() {
			defer close(lines)
			for out.Scan() {
				lines <- out.Text()
			}
		}()
		last := gen - 1
		wantSaves := 1 + rand.IntN(4)
		for saves := 0; saves < wantSaves; {
			l, ok := <-lines
			if !ok || !strings.HasPrefix(l, "saved ") {
				stop()
				cancel()
				t.Fatalf("round %d: child said %q", round, l)
			}
			last, _ = strconv.Atoi(strings.TrimPrefix(l, "saved "))
			saves++
		}
		// Kill somewhere inside one of the next saves.
		time.Sleep(time.Duration(rand.IntN(15000)) * time.Microsecond)
		cmd.Process.Kill()
		for l := range lines {
			if n, err := strconv.Atoi(strings.TrimPrefix(l, "saved ")); err == nil {
				last = n
			}
		}
		stop()
		cancel()

		s, err := Open(dir, Options{Root: root, HistoryFrames: 5})
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		m, err := s.Load("chip")
		if err != nil || m == nil {
			s.Close()
			t.Fatalf("round %d: Load after kill at save %d: %v, %v", round, last+1, m, err)
		}
		g, _ := strconv.Atoi(m.Meta["gen"])
		if g != last && g != last+1 {
			t.Errorf("round %d: loaded generation %d; the last saves were %d and %d", round, g, last, last+1)
		}
		if c := gunzipFile(t, s.LayoutPath("chip")); c != layoutContent(g%3, 200_000+g%3) {
			t.Errorf("round %d: layout does not belong to generation %d", round, g)
		}
		frames, hdir, err := s.History("chip")
		if err != nil || len(frames) == 0 || len(frames) > 5 {
			t.Errorf("round %d: history %d frames, %v", round, len(frames), err)
		}
		for _, f := range frames {
			if err := checkLayout(filepath.Join(hdir, f.Layout.File), f.Layout); err != nil {
				t.Errorf("round %d: frame %d: %v", round, f.Seq, err)
			}
		}
		s.Close()
		t.Logf("round %d: killed after save %d, loaded %d", round, last, g)
		gen = g + 1
	}
}

// crashBeforeRename leaves target's session as a crash between a save's
// commit (the manifest) and its rename leaves it: the new manifest, the
// previous layout at LayoutPath, the new one at LayoutPath.next.
func crashBeforeRename(t *testing.T, s *Store, root, target string) {
	t.Helper()
	if err := s.Save(target, testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 5000)); err != nil {
		t.Fatal(err)
	}
	cells := s.LayoutPath(target)
	old, err := os.ReadFile(cells)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(target, testManifest(t, root, srcPaths(), 2), layoutFile(t, t.TempDir(), 2, 5000)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cells, cells+nextSuffix); err != nil {
		t.Fatal(err)
	}
	writeFile(t, cells, string(old))
}

// TestShowAfterCrashBeforeRename is issue 16's case 11: after a crash
// between the manifest commit and the layout rename, `session show` (a
// read-only store) must not call the target valid with a layout_path whose
// bytes are not the manifest's; the next lywatch (holding the lock)
// finishes the rename and it is valid again.
func TestShowAfterCrashBeforeRename(t *testing.T) {
	root := newRoot(t, srcFiles)
	ageFiles(t, root, srcPaths())
	s := openStore(t, root, Options{})
	crashBeforeRename(t, s, root, "chip")
	s.Close()

	ro, err := OpenReadOnly(DefaultDir(root), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ro.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts := st.Targets[0]
	if ts.State == "valid" || ts.LayoutPath != "" {
		t.Fatalf("session show after a crash before the rename: state %q, layout_path %q; want not valid, no path", ts.State, ts.LayoutPath)
	}
	if !strings.Contains(ts.Warning, "interrupted") {
		t.Errorf("warning %q does not say a save was interrupted", ts.Warning)
	}

	s = openStore(t, root, Options{})
	if m, err := s.Load("chip"); err != nil || m.Meta["gen"] != "2" {
		t.Fatalf("Load with the lock: %v, %v", m, err)
	}
	st, err = s.Status(context.Background())
	if err != nil || st.Targets[0].State != "valid" {
		t.Fatalf("after the rename was finished: %+v, %v", st.Targets, err)
	}
	if c := gunzipFile(t, st.Targets[0].LayoutPath); c != layoutContent(2, 5000) {
		t.Error("layout_path does not hold the manifest's layout")
	}
}
