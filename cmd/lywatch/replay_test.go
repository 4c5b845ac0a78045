package main

import (
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestHistoryAndReplayErrors: what a person gets wrong is an error that
// says what to do, without KLayout.
func TestHistoryAndReplayErrors(t *testing.T) {
	dir, _, _, _ := setup(t) // one good build in the session
	t.Chdir(dir)
	free := testsupport.FreeAddr(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"history"}, exitOK, "default"},
		{[]string{"history", "--target", "ring"}, exitError, `no history for target "ring"`},
		{[]string{"replay", "--build", "1"}, exitError, "build 1 of default traced nothing: call lywatch_trace.frame"},
		{[]string{"replay", "--build", "7"}, exitError, "no frame 7 in default's history (it has 1 to 1)"},
		{[]string{"replay", "--from", "5"}, exitError, "no frames of default between 5 and 0 (it has 1 to 1)"},
		{[]string{"replay", "--fps", "0"}, exitError, "--fps 0: want a positive number"},
		{[]string{"replay", "--klayout", free}, exitError, "no KLayout listening on " + free + ", run 'lywatch klayout start'"},
		{[]string{"replay", "--gif", "x.gif", "--size", "10x10"}, exitError, "want WIDTHxHEIGHT"},
		{[]string{"replay", "--gif", "x.gif", "--box", "1,2,3"}, exitError, "want x1,y1,x2,y2"},
		{[]string{"replay", "extra"}, exitError, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, out, errb := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errb, tt.want) {
			t.Errorf("lywatch %v: code %d\n%s%s\nwant code %d with %q", tt.args, code, out, errb, tt.code, tt.want)
		}
	}
}
