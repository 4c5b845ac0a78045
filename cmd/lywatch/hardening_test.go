package main

import (
	"bytes"
	"encoding/json"

	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/loop"
)

// heldServer is a stand-in lyipc server that records each command and
// answers only when told to (or never).
type heldServer struct {
	ln      net.Listener
	got     chan string
	release chan struct{}
}

func newHeldServer(t *testing.T) *heldServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &heldServer{ln: ln, got: make(chan string, 16), release: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				n, _ := conn.Read(buf)
				s.got <- strings.TrimSpace(string(buf[:n]))
				<-s.release
				conn.Write([]byte("ACK ok\r\n"))
			}()
		}
	}()
	return s
}

// Issue 16, case 6: an edit made while lywatch starts (here: while the
// cached layout is being pushed into a slow KLayout) is built. The watcher
// starts before the session is restored, and reports every change after
// its first scan.
func TestEditDuringStartUpIsBuilt(t *testing.T) {
	dir, _, log, _ := setup(t)
	srv := newHeldServer(t)
	args := []string{"--no-config", "--debounce", "5ms", "--protocol", "lyipc", "--klayout", srv.ln.Addr().String(),
		"--output", filepath.Join(dir, "build", "chip.gds"), "--entry", "pdk/build.py",
		"--", "sh", "-c", restartBuild}
	r := startRun(t, dir, args)
	select {
	case <-srv.got: // the cached layout is being shown; KLayout is slow
	case <-time.After(10 * time.Second):
		t.Fatalf("no push of the cached layout\n%s%s", r.out.String(), r.errb.String())
	}
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 7\n\n\ndef unused():\n    return 0\n")
	time.Sleep(50 * time.Millisecond) // the edit lands while the push is held
	close(srv.release)
	waitUntil(t, "the build of the edit made during start-up", func() bool { return buildCount(t, log) == 2 }, r.out.String, r.errb.String)
}

// Issue 16, case 7: a KLayout that accepts and never replies does not
// stall the loop: the push is given up on after --push-timeout, and the
// next edit builds at once.
func TestKLayoutThatNeverRepliesDoesNotStallTheLoop(t *testing.T) {
	dir, _, log, _ := fresh(t)
	srv := newHeldServer(t) // never released
	args := []string{"--no-config", "--debounce", "5ms", "--protocol", "lyipc", "--klayout", srv.ln.Addr().String(),
		"--push-timeout", "300ms", "--output", filepath.Join(dir, "build", "chip.gds"), "--entry", "pdk/build.py",
		"--", "sh", "-c", `mkdir -p build && cp "$SRC" build/chip.gds && echo built >> "$BUILDLOG"`}
	r := startRun(t, dir, args)
	waitUntil(t, "the start-up build's push given up", func() bool { return strings.Contains(r.out.String(), "push failed") }, r.out.String, r.errb.String)
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 3\n\n\ndef unused():\n    return 0\n")
	start := time.Now()
	waitUntil(t, "the build of the next edit", func() bool { return buildCount(t, log) == 2 }, r.out.String, r.errb.String)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the edit was built %s after it was made", d)
	}
}

// Issue 10: the start-up push from the cache is a cycle like any other:
// a summary line, and with --json a report whose status is "cached".
func TestCachedStartIsReported(t *testing.T) {
	dir, layout, log, rec := setup(t)
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, "", "--json"))
	if got := rec.pushes(2 * time.Second); len(got) != 1 {
		t.Fatalf("pushes %q, want the cache once", got)
	}
	waitUntil(t, "the report", func() bool { return strings.Contains(r.out.String(), `"status":"cached"`) }, r.out.String, r.errb.String)
	r.stop()
	var rep loop.Report
	if err := json.Unmarshal([]byte(strings.SplitN(r.out.String(), "\n", 2)[0]), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Cycle != 1 || rep.Status != loop.StatusCached || len(rep.Builds) != 1 || rep.Builds[0].Status != loop.StatusCached ||
		len(rep.Builds[0].Stages) != 1 || rep.Builds[0].Stages[0].Name != "push" || buildCount(t, log) != 1 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(r.errb.String(), "start-up → session valid → build/chip.gds from the cache, no build → push ") {
		t.Errorf("summary:\n%s", r.errb.String())
	}
}

// Issue 11: a data file a factory reads (named by Path(__file__).parent /
// "...") is watched though no include glob covers it, and an edit of it
// rebuilds what reads it.
func TestDataFileEditRebuilds(t *testing.T) {
	files := map[string]string{
		"pdk/__init__.py": "",
		"pdk/parts.py": "from pathlib import Path\n\n\ndef cell(f):\n    return f\n\n\n" +
			"@cell\ndef mmi():\n    return (Path(__file__).parent / \"mmi.csv\").read_text()\n\n\n@cell\ndef bend():\n    return 2\n",
		"pdk/mmi.csv": "w,l\n1,2\n",
	}
	l := startLive(t, files, logLine, "--entry", "pdk/parts.py")
	l.waitBuilds(1, "the start-up build")
	l.write("pdk/mmi.csv", "w,l\n1,3\n")
	got := l.waitBuilds(2, "the build after the data file's edit")
	if !strings.Contains(got[1], "pdk/mmi.csv") || !strings.Contains(l.out.String(), "pdk/mmi.csv changed → 1 factory") {
		t.Errorf("builds %q\n%s", got, l.dump())
	}
}

// Issue 11: a layout with a reference to a cell it never defines reads as
// KLayout reads it (a ghost cell, with a warning) and is saved and pushed
// like any other; it used to fail at "read".
func TestGhostCellLayoutInTheLoop(t *testing.T) {
	dir, _, log, rec := fresh(t)
	ghost := filepath.Join(t.TempDir(), "ghost.gds")
	lib := &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{
		{Name: "TOP", Refs: []gds.Ref{{Name: "sky130_fd_sc_hd__inv_1"}}, Shapes: []gds.Shape{{Kind: gds.Boundary, Layer: 1,
			XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: 10}, {X: 10, Y: 10}, {X: 10, Y: 0}, {X: 0, Y: 0}}}}},
	}}
	var b bytes.Buffer
	if err := gds.Write(&b, lib); err != nil {
		t.Fatal(err)
	}
	writeFile(t, ghost, b.String())
	t.Setenv("SRC", ghost)
	r := startRun(t, dir, lywatchArgs(dir, ghost, rec, ""))
	if got := rec.pushes(3 * time.Second); len(got) != 1 || buildCount(t, log) != 1 {
		t.Fatalf("pushes %q after %d builds\n%s%s", got, buildCount(t, log), r.out.String(), r.errb.String())
	}
	r.stop()
	if out := r.out.String(); !strings.Contains(out, "read ") || !strings.Contains(out, "1 ghost cell") || !strings.Contains(out, "→ save ") {
		t.Errorf("summary:\n%s", out)
	}
	if !strings.Contains(r.errb.String(), "sky130_fd_sc_hd__inv_1") {
		t.Errorf("no warning naming the ghost cell:\n%s", r.errb.String())
	}
}
