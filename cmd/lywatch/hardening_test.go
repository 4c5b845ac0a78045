package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"

	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/session"
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

// Issue 16, case 4: the command after -- wins over the configuration's,
// for every target; and outside git the configuration search does not
// climb above the current directory (a lywatch.toml in /tmp, say).
func TestTheUsersCommandWins(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, mkdirs(t, filepath.Join(dir, ".git", "HEAD")), "")
	writeFile(t, filepath.Join(dir, "lywatch.toml"), "push = false\n\n[[targets]]\nname = \"a\"\ncommand = \"echo the repository's command\"\n\n"+
		"[[targets]]\nname = \"b\"\ncommand = \"echo the repository's other command\"\n")
	t.Chdir(dir)
	code, out, errb := runCmd(t, "--once", "--no-session", "--", "echo", "my command")
	if code != exitOK || strings.Contains(out, "repository") || strings.Count(out, "my command") != 2 {
		t.Errorf("lywatch --once -- echo my command: %d\n%s%s", code, out, errb)
	}

	above := t.TempDir() // no git, not below HOME
	t.Setenv("HOME", t.TempDir())
	writeFile(t, filepath.Join(above, "lywatch.toml"), "command = \"echo planted\"\n")
	sub := filepath.Join(above, "project")
	mkdirs(t, filepath.Join(sub, "x"))
	t.Chdir(sub)
	code, out, errb = runCmd(t, "--once", "--no-session", "--no-push")
	if code != exitError || strings.Contains(out, "planted") || !strings.Contains(errb, "no build command") {
		t.Errorf("a lywatch.toml above the project was read: %d\n%s%s", code, out, errb)
	}
}

// Issue 16, case 8: the output is read once. A process the build left
// behind keeps rewriting the output; the layout the session keeps is
// always the one whose cells the manifest hashed.
func TestOutputIsReadOnce(t *testing.T) {
	dir, _, _, _ := fresh(t)
	// Two layouts of a few MB each, so that reading one takes a while.
	big := func(name string, layer int16) string {
		lib := &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9, Cells: []*gds.Cell{{Name: "TOP"}}}
		for i := range 30000 {
			x := int32(i) * 30
			lib.Cells[0].Shapes = append(lib.Cells[0].Shapes, gds.Shape{Kind: gds.Boundary, Layer: layer,
				XY: []gds.Point{{X: x, Y: 0}, {X: x, Y: 20}, {X: x + 20, Y: 20}, {X: x + 20, Y: 0}, {X: x, Y: 0}}})
		}
		p := filepath.Join(t.TempDir(), name)
		if err := gds.WriteFile(p, lib); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := big("a.gds", 1), big("b.gds", 2)
	out := filepath.Join(dir, "build", "chip.gds")
	stop := filepath.Join(t.TempDir(), "stop")
	// The daemon swaps A and B in (atomically) as fast as it can, from
	// before the build ends (it sleeps a little after starting it) until
	// the test is over.
	// It stops by itself after 60 s, should the test not get to say so.
	daemon := `setsid sh -c 'end=$(($(date +%s) + 60)); while [ ! -e "` + stop + `" ] && [ $(date +%s) -lt $end ]; do cp "` + b + `" "` + out + `.b" && mv "` + out + `.b" "` + out + `"; cp "` + a + `" "` + out + `.a" && mv "` + out + `.a" "` + out + `"; done; touch "` + stop + `.done"' </dev/null >/dev/null 2>&1 &`
	// stopDaemon ends the daemon and waits until it has.
	running := false
	stopDaemon := func() {
		if !running {
			return
		}
		running = false
		writeFile(t, stop, "")
		waitUntil(t, "the daemon's end", func() bool { _, err := os.Stat(stop + ".done"); return err == nil })
		os.Remove(stop)
		os.Remove(stop + ".done")
	}
	t.Cleanup(stopDaemon)
	t.Chdir(dir)
	for i := range 5 {
		code, o, errb := runCmd(t, "--once", "--force", "--no-config", "--no-push", "--output", out, "--", "sh", "-c", "mkdir -p build && cp \""+a+"\" \""+out+"\"; "+daemon+" sleep 0.1")
		running = true
		if code != exitOK {
			t.Fatalf("run %d: %d\n%s%s", i, code, o, errb)
		}
		st, err := session.OpenReadOnly(filepath.Join(dir, "build", "session"), session.Options{Root: dir})
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.Load("default")
		if err != nil || m == nil {
			t.Fatalf("run %d: no session: %v", i, err)
		}
		data, err := st.LayoutBytes(context.Background(), "default", m)
		st.Close()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		saved, err := gds.Read(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		hashes, _ := saved.Hashes()
		if c := m.Cell("TOP"); c == nil || hashes["TOP"].Deep != c.Deep {
			t.Fatalf("run %d: the saved layout's TOP is not the one the manifest hashed", i)
		}
		stopDaemon()
	}
}
