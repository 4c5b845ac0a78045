package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOnceServesTheSession: lywatch --once shows a target from the session
// when its last good layout is current, with no build (exit 0, the line
// saying so); --force builds anyway.
func TestOnceServesTheSession(t *testing.T) {
	dir, layout, log, rec := setup(t)
	args := append([]string{"--once"}, lywatchArgs(dir, layout, rec, "")...)
	code, out, errb := runCmd(t, args...)
	if code != exitOK || buildCount(t, log) != 1 {
		t.Fatalf("--once on a valid session: code %d, %d builds\n%s%s", code, buildCount(t, log), out, errb)
	}
	if !strings.Contains(out, "session valid → build/chip.gds from the cache, no build") {
		t.Errorf("--once on a valid session says:\n%s", out)
	}
	if got := rec.pushes(300 * time.Millisecond); len(got) != 1 {
		t.Errorf("pushes %q, want the cached layout once", got)
	}
	code, out, errb = runCmd(t, append([]string{"--once", "--force"}, lywatchArgs(dir, layout, rec, "")...)...)
	if code != exitOK || buildCount(t, log) != 2 || !strings.Contains(out, "→ build ") {
		t.Fatalf("--once --force: code %d, %d builds\n%s%s", code, buildCount(t, log), out, errb)
	}
	// An edit the target uses: --once builds it.
	writeFile(t, filepath.Join(dir, "pdk/helpers.py"), "def width():\n    return 7\n\n\ndef unused():\n    return 0\n")
	if code, out, errb := runCmd(t, args...); code != exitOK || buildCount(t, log) != 3 {
		t.Fatalf("--once after an edit: code %d, %d builds\n%s%s", code, buildCount(t, log), out, errb)
	}
}

// TestOnceBesideALiveLoop: lywatch --once runs while a live loop holds the
// session: it reads the session without the lock and builds into a folder
// of its own; the loop's output and session are left alone.
func TestOnceBesideALiveLoop(t *testing.T) {
	dir, layout, log, rec := fresh(t)
	// The build writes where LYWATCH_OUTPUT says: the loop's output, or
	// the folder --once redirects it to.
	build := `mkdir -p "$(dirname "$LYWATCH_OUTPUT")" && cp "$SRC" "$LYWATCH_OUTPUT" && echo built >> "$BUILDLOG"`
	t.Chdir(dir)
	if code, out, errb := runCmd(t, append([]string{"--once"}, lywatchArgs(dir, layout, rec, build)...)...); code != exitOK {
		t.Fatalf("first build: %d\n%s%s", code, out, errb)
	}
	rec.pushes(300 * time.Millisecond)
	r := startRun(t, dir, lywatchArgs(dir, layout, rec, build))
	waitUntil(t, "the loop's start-up", func() bool { return strings.Contains(r.out.String(), "from the cache, no build") }, r.out.String)
	rec.pushes(300 * time.Millisecond)
	output := filepath.Join(dir, "build", "chip.gds")
	manifest := filepath.Join(dir, "build", "session", "targets", "default", "manifest.json")
	before, beforeOut := mustRead(t, manifest), statOf(t, output)

	// The session is valid: served, nothing built.
	args := append([]string{"--once"}, lywatchArgs(dir, layout, rec, build)...)
	code, out, errb := runCmd(t, args...)
	if code != exitOK || buildCount(t, log) != 1 || !strings.Contains(out, "session valid") {
		t.Fatalf("--once beside a loop: code %d, %d builds\n%s%s", code, buildCount(t, log), out, errb)
	}
	if !strings.Contains(errb, "the session is in use by another lywatch (pid ") || !strings.Contains(errb, "saving nothing, pushing nothing") {
		t.Errorf("no word of the loop holding the session:\n%s", errb)
	}
	for _, f := range strings.Fields(errb) {
		if f = strings.TrimSuffix(f, ","); strings.Contains(f, "lywatch-once-") {
			defer os.RemoveAll(f) // the served layout is kept there for the user
		}
	}
	// Forced: it builds, into its own folder.
	code, out, errb = runCmd(t, append([]string{"--once", "--force"}, lywatchArgs(dir, layout, rec, build)...)...)
	if code != exitOK || buildCount(t, log) != 2 {
		t.Fatalf("--once --force beside a loop: code %d, %d builds\n%s%s", code, buildCount(t, log), out, errb)
	}
	own := ""
	for _, f := range strings.Fields(errb) {
		if strings.Contains(f, "lywatch-once-") {
			own = strings.TrimSuffix(f, ",")
		}
	}
	if own == "" {
		t.Fatalf("no folder of its own named:\n%s", errb)
	}
	defer os.RemoveAll(own)
	if b, err := os.ReadFile(filepath.Join(own, "default", "chip.gds")); err != nil || !bytes.Equal(b, mustRead(t, layout)) {
		t.Errorf("the forced build's layout is not in its own folder %s: %v", own, err)
	}
	if !bytes.Equal(mustRead(t, manifest), before) {
		t.Error("--once beside a loop changed the session")
	}
	if statOf(t, output) != beforeOut {
		t.Error("--once beside a loop wrote the loop's output")
	}
	if got := rec.pushes(300 * time.Millisecond); len(got) != 0 {
		t.Errorf("--once beside a loop pushed %q", got)
	}
	r.stop()
}

// statOf is a file's size and modification time, to see it untouched.
func statOf(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(fi.ModTime(), fi.Size())
}
