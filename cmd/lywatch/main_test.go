package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCmd runs lywatch in-process and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndHelp(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"version"}, exitOK, "lywatch "},
		{[]string{"help"}, exitOK, "Commands:"},
		{[]string{"help", "version"}, exitOK, "Usage: lywatch version"},
		{[]string{"help", "nope"}, exitError, ""},
	}
	for _, tt := range tests {
		code, out, _ := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("lywatch %v: code %d, output %q; want code %d containing %q", tt.args, code, out, tt.code, tt.want)
		}
	}
}

func TestEveryCommandIsListedInHelp(t *testing.T) {
	_, out, _ := runCmd(t, "help")
	for _, c := range commands() {
		if !strings.Contains(out, c.usage) {
			t.Errorf("help does not show %q", c.usage)
		}
	}
}
