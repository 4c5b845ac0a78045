package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestEventsFileInMemory: on Linux the events file is a memfd lywatch
// holds: $TMPDIR stays empty, the build (and a program it starts with
// every other descriptor closed) reads it by path, cannot change it, and
// the path is gone when the build ends.
func TestEventsFileInMemory(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		dir := t.TempDir()
		var out testsupport.Buffer
		r := newRunner(&out)
		r.Dir = dir
		events := []byte(`{"changes":[{"path":"/a.py"}]}`)
		script := `printf '%s' "$LYWATCH_EVENTS_FILE" > name; ls -A "$TMPDIR" > tmp-listing
			# a grandchild with fds 3 and up closed still reads it: the path is lywatch's
			sh -c 'for fd in 3 4 5 6 7 8 9; do eval "exec $fd>&-"; done; cat "$LYWATCH_EVENTS_FILE"' > events
			if echo x >> "$LYWATCH_EVENTS_FILE"; then echo yes > writable; fi`
		res := r.Run(context.Background(), Request{Command: []string{"sh", "-c", script}, Events: events})
		if !res.OK() {
			t.Fatalf("build failed: %+v\n%s", res, out.String())
		}
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			return string(b)
		}
		name := read("name")
		if want := fmt.Sprintf("/proc/%d/fd/", os.Getpid()); !strings.HasPrefix(name, want) {
			t.Errorf("LYWATCH_EVENTS_FILE = %q, want %s…", name, want)
		}
		if got := read("events"); got != string(events) {
			t.Errorf("the build read %q", got)
		}
		if got := read("tmp-listing"); got != "" {
			t.Errorf("$TMPDIR holds %q during the build", got)
		}
		if read("writable") != "" {
			t.Error("the build could write to the events file")
		}
		if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
			t.Errorf("$TMPDIR holds %v after the build", entries)
		}
	})
}
