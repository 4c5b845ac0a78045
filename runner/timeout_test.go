//go:build unix

package runner

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestTimeout: a build running past Request.Timeout is stopped like a
// cancelled one (its whole group, SIGKILL after the grace period when it
// ignores SIGTERM) and fails as timed out; a build within it is untouched.
func TestTimeout(t *testing.T) {
	eachMode(t, func(t *testing.T, newRunner func(*testsupport.Buffer) *Runner) {
		tests := []struct {
			name     string
			script   string
			timeout  time.Duration
			timedOut bool
		}{
			{"runs past it", `sleep 1000 & echo $! > pid; wait`, 200 * time.Millisecond, true},
			{"ignores SIGTERM", `trap '' TERM; sleep 1000 & echo $! > pid; wait; wait`, 200 * time.Millisecond, true},
			{"ends in time", `sleep 0 & echo $! > pid; wait`, time.Minute, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dir := t.TempDir()
				var out testsupport.Buffer
				r := newRunner(&out)
				r.Dir = dir
				res, took := runWithin(t, context.Background(), r, Request{Command: []string{"sh", "-c", tt.script}, Timeout: tt.timeout}, 15*time.Second)
				if res.TimedOut != tt.timedOut || res.Stopped || res.OK() == tt.timedOut {
					t.Fatalf("got %+v, want timed out %v\n%s", res, tt.timedOut, out.String())
				}
				pid, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "pid")))
				if !processGone(pid) {
					t.Errorf("sleep (pid %d) outlived its build", pid)
				}
				if !tt.timedOut {
					return
				}
				if limit := tt.timeout + r.Grace + drainTimeout + time.Second; took > limit {
					t.Errorf("Run took %s, want under %s", took, limit)
				}
				if res.String() != "timed out" || !strings.Contains(out.String(), "build timed out in ") {
					t.Errorf("result %q, output %q: want \"timed out\"", res, out.String())
				}
			})
		}
	})
}
