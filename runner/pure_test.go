package runner

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{35 * time.Millisecond, "35 ms"},
		{1240 * time.Millisecond, "1.24 s"},
		{0, "0 ms"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestParseOnBusy(t *testing.T) {
	for _, s := range []string{"", "restart", "queue"} {
		o, err := ParseOnBusy(s)
		if err != nil || (s != "" && o.String() != s) {
			t.Errorf("ParseOnBusy(%q) = %v, %v", s, o, err)
		}
	}
	if _, err := ParseOnBusy("later"); err == nil {
		t.Error("ParseOnBusy(later): no error")
	}
}

// TestChangedValue checks the cap at its edge.
func TestChangedValue(t *testing.T) {
	tests := []struct {
		paths []string
		limit int
		want  string
		fits  bool
	}{
		{nil, 10, "", true},
		{[]string{"/a", "/b"}, 5, "/a\n/b", true},
		{[]string{"/a", "/b"}, 4, "", false},
		{[]string{"/abcdef"}, 4, "", false},
	}
	for _, tt := range tests {
		got, fits := changedValue(tt.paths, tt.limit)
		if got != tt.want || fits != tt.fits {
			t.Errorf("changedValue(%q, %d) = %q, %v; want %q, %v", tt.paths, tt.limit, got, fits, tt.want, tt.fits)
		}
	}
}

func TestResultString(t *testing.T) {
	tests := []struct {
		res  Result
		want string
		ok   bool
	}{
		{Result{}, "ok", true},
		{Result{ExitCode: 2}, "exit 2", false},
		{Result{ExitCode: -1, Stopped: true}, "stopped", false},
		{Result{ExitCode: -1, TimedOut: true, Signal: syscall.Signal(15)}, "timed out", false},
		{Result{ExitCode: -1, Err: errors.New("start x: no")}, "error: start x: no", false},
	}
	for _, tt := range tests {
		if got := tt.res.String(); got != tt.want || tt.res.OK() != tt.ok {
			t.Errorf("%+v: String %q OK %v, want %q %v", tt.res, got, tt.res.OK(), tt.want, tt.ok)
		}
	}
}

// fakeTree is a tree whose processes are counters: live processes, of
// which stubborn ones ignore terminate; deliverable false is a Windows job
// whose build shares no console with lywatch (no CTRL_BREAK possible).
type fakeTree struct {
	live, stubborn      int
	deliverable         bool
	terminated, killed  int
	leader              chan struct{} // closed when the "leader" exits
	leaderExitsOnSignal bool
	leaderClosed        bool
}

func (f *fakeTree) exitLeader() {
	if !f.leaderClosed {
		f.leaderClosed = true
		close(f.leader)
	}
}

func (f *fakeTree) terminate() bool {
	f.terminated++
	if !f.deliverable {
		return false
	}
	f.live = f.stubborn
	if f.leaderExitsOnSignal && f.stubborn == 0 {
		f.exitLeader()
	}
	return true
}

func (f *fakeTree) kill() {
	f.killed++
	f.live = 0
	f.exitLeader()
}

func (f *fakeTree) alive() bool    { return f.live > 0 }
func (f *fakeTree) reap()          {}
func (f *fakeTree) String() string { return "fake tree" }

// TestSupervise drives the stop logic the Unix process group and the
// Windows job share, with a fake tree.
func TestSupervise(t *testing.T) {
	const grace = time.Hour // a test that waits for it fails by timing out
	tests := []struct {
		name                 string
		tree                 fakeTree
		leaderExited, stop   bool
		wantTerm, wantKilled int
	}{
		{"leader exits, nothing left", fakeTree{deliverable: true}, true, false, 0, 0},
		{"leader exits, leftovers end on terminate", fakeTree{live: 2, deliverable: true}, true, false, 1, 0},
		{"stopped, ends on terminate", fakeTree{live: 1, deliverable: true, leaderExitsOnSignal: true}, false, true, 1, 0},
		{"stopped, no console: killed at once", fakeTree{live: 1}, false, true, 1, 1},
		{"leftovers, no console: killed at once", fakeTree{live: 3}, true, false, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.tree
			f.leader = make(chan struct{})
			if tt.leaderExited {
				f.exitLeader()
			}
			stop := make(chan struct{})
			if tt.stop {
				close(stop)
			}
			var logged []string
			err := supervise(&f, f.leader, stop, grace, func(format string, args ...any) { logged = append(logged, format) })
			if err != nil || f.terminated != tt.wantTerm || f.killed != tt.wantKilled || f.live != 0 {
				t.Errorf("err %v, terminated %d, killed %d, live %d; want nil, %d, %d, 0 (log %q)", err, f.terminated, f.killed, f.live, tt.wantTerm, tt.wantKilled, logged)
			}
		})
	}
}
