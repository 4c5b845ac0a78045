package runner

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseGuardMsg(t *testing.T) {
	tests := []struct {
		line    string
		want    guardMsg
		wantErr string
	}{
		{`pid "1234"`, guardMsg{msgPid, "1234"}, ""},
		{`log "two\nlines"`, guardMsg{msgLog, "two\nlines"}, ""},
		{`error ""`, guardMsg{msgError, ""}, ""},
		{`exit`, guardMsg{}, "no space"},
		{`quit "0"`, guardMsg{}, "unknown kind"},
		{`exit 0`, guardMsg{}, "not a quoted string"},
		{"exit `0`", guardMsg{}, "not a quoted string"},
		{`exit "0`, guardMsg{}, "not a quoted string"},
	}
	for _, tt := range tests {
		got, err := parseGuardMsg(tt.line)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseGuardMsg(%q) error %v, want %q", tt.line, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseGuardMsg(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
	if _, err := (guardMsg{msgExit, "x"}).number(); err == nil {
		t.Error("number of exit \"x\": no error")
	}
}

func TestParseGuardArgs(t *testing.T) {
	spec := guardSpec{grace: 1500 * time.Millisecond, remove: "/tmp/x y", files: 2, argv: []string{"sh", "-c", "echo --"}}
	got, err := parseGuardArgs(spec.args())
	if err != nil || got.grace != spec.grace || got.remove != spec.remove || got.files != spec.files || !slices.Equal(got.argv, spec.argv) {
		t.Errorf("round trip of %+v: %+v, %v", spec, got, err)
	}
	for _, args := range [][]string{
		nil,
		{GuardArg, "2s", "", "0", "--"},
		{"other", "2s", "", "0", "--", "true"},
		{GuardArg, "2", "", "0", "--", "true"},
		{GuardArg, "-1s", "", "0", "--", "true"},
		{GuardArg, "2s", "", "0", "-", "true"},
		{GuardArg, "2s", "", "0", "--", ""},
		{GuardArg, "2s", "", "-1", "--", "true"},
		{GuardArg, "2s", "", "x", "--", "true"},
		{GuardArg, "2s", "", "17", "--", "true"},
		{GuardArg, "2s", "", "--", "true"},
	} {
		if _, err := parseGuardArgs(args); err == nil {
			t.Errorf("parseGuardArgs(%q): no error", args)
		}
	}
}

// FuzzGuardMsg: any line either fails to parse or parses to a message
// that writes back to a line parsing to the same message.
func FuzzGuardMsg(f *testing.F) {
	for _, s := range []string{`pid "1"`, `exit "0"`, `signal "9"`, `log "a\tb"`, `error "start x: not found"`, `exit 0`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := parseGuardMsg(line)
		if err != nil {
			return
		}
		again, err := parseGuardMsg(strings.TrimSuffix(m.String(), "\n"))
		if err != nil || again != m {
			t.Fatalf("%q parsed to %+v, written as %q, parsed to %+v, %v", line, m, m.String(), again, err)
		}
		if strings.Count(m.String(), "\n") != 1 {
			t.Fatalf("%+v written over several lines: %q", m, m.String())
		}
	})
}

func TestSpareMsg(t *testing.T) {
	msgs := []spareMsg{
		{args: guardSpec{grace: time.Second, files: 1, argv: []string{"sh", "-c", "echo"}}.args(), dir: "/p q", env: []string{"A=1", "B=two\nlines", "C="}},
		{args: []string{""}, dir: "", env: nil},
		{args: []string{GuardArg}, env: []string{"BIG=" + strings.Repeat("x", 200<<10)}},
	}
	for _, m := range msgs {
		b, err := m.encode()
		if err != nil {
			t.Fatal(err)
		}
		n, err := spareMsgLen([4]byte(b[:4]))
		if err != nil || n != len(b)-4 {
			t.Errorf("length %d, %v; want %d", n, err, len(b)-4)
		}
		got, err := decodeSpareMsg(b[4:])
		if err != nil || !slices.Equal(got.args, m.args) || got.dir != m.dir || !slices.Equal(got.env, m.env) {
			t.Errorf("round trip of %.200q: %.200q, %v", m, got, err)
		}
	}
	if _, err := (spareMsg{env: []string{strings.Repeat("x", maxSpareMsg)}}).encode(); err == nil {
		t.Error("encode past maxSpareMsg: no error")
	}
	if _, err := spareMsgLen([4]byte{0xff, 0xff, 0xff, 0xff}); err == nil {
		t.Error("length 4 GB: no error")
	}
	for _, body := range [][]byte{
		nil,
		{0, 0, 0},
		{0, 0, 0, 1, 0, 0, 0, 5, 'a'},           // string cut short
		{0xff, 0xff, 0xff, 0xff},                // 4 billion arguments in no bytes
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, // a byte after the end
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0}, // two variables, one there
	} {
		if m, err := decodeSpareMsg(body); err == nil {
			t.Errorf("decodeSpareMsg(%v) = %q, no error", body, m)
		}
	}
}
