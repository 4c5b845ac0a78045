package runner

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParseWarm(t *testing.T) {
	for _, c := range []struct {
		cmd                  []string
		kind, script, module string
		argv, args           []string
		err                  string
	}{
		{cmd: []string{"python3", "build.py"}, kind: "python", script: "build.py", argv: []string{"python3", driverArg}, args: []string{}},
		{cmd: []string{"/usr/bin/python3.11", "-u", "-X", "dev", "-Werror", "b.py", "-x", "y"}, kind: "python", script: "b.py",
			argv: []string{"/usr/bin/python3.11", "-u", "-X", "dev", "-Werror", driverArg}, args: []string{"-x", "y"}},
		{cmd: []string{"python", "-uB", "--", "-odd.py"}, kind: "python", script: "-odd.py", argv: []string{"python", "-uB", driverArg}, args: []string{}},
		{cmd: []string{"python3", "-m", "pdk.build", "--fast"}, kind: "python", module: "pdk.build", argv: []string{"python3", driverArg}, args: []string{"--fast"}},
		{cmd: []string{"klayout", "-b", "-r", "build.py", "-rd", "out=build/chip.gds"}, kind: "klayout", script: "build.py",
			argv: []string{"klayout", "-b", "-r", driverArg, "-rd", "out=build/chip.gds"}},
		{cmd: []string{"/opt/klayout_app", "-zz", "-rd", "a=1", "-r", "x.py"}, kind: "klayout", script: "x.py",
			argv: []string{"/opt/klayout_app", "-zz", "-rd", "a=1", "-r", driverArg}},
		{cmd: []string{"sh", "-c", `klayout -b -r build.py -rd "out=build/my chip.gds"`}, kind: "klayout", script: "build.py",
			argv: []string{"klayout", "-b", "-r", driverArg, "-rd", "out=build/my chip.gds"}},
		{cmd: []string{"sh", "-c", "python3 'a b.py' x\\ y"}, kind: "python", script: "a b.py", argv: []string{"python3", driverArg}, args: []string{"x y"}},
		{cmd: []string{"make", "chip"}, err: "neither python3 nor klayout"},
		{cmd: []string{"python3"}, err: "no script"},
		{cmd: []string{"python3", "-c", "print(1)"}, err: "-c: not supported"},
		{cmd: []string{"python3", "-"}, err: "standard input"},
		{cmd: []string{"python3", "-X"}, err: "-X: no value"},
		{cmd: []string{"python3", "--version"}, err: "--version"},
		{cmd: []string{"python3", "-m"}, err: "no module"},
		{cmd: []string{"klayout", "-r", "build.py"}, err: "batch mode"},
		{cmd: []string{"klayout", "-b"}, err: "no -r script"},
		{cmd: []string{"klayout", "-b", "-r", "a.py", "-r", "b.py"}, err: "more than one"},
		{cmd: []string{"klayout", "-b", "-rm", "a.py"}, err: "-rm"},
		{cmd: []string{"klayout", "-b", "-r"}, err: "no value"},
		{cmd: []string{"sh", "-c", "python3 build.py > log"}, err: "not a plain command"},
		{cmd: []string{"sh", "-c", "X=1 python3 build.py"}, err: "not a plain command"},
		{cmd: []string{"sh", "-c", "python3 $HOME/build.py"}, err: "not a plain command"},
		{cmd: []string{"sh", "-c", `python3 "$X"`}, err: "expands"},
		{cmd: []string{"sh", "-c", "python3 'build.py"}, err: "unterminated"},
		{cmd: []string{"sh", "-c", ""}, err: "no command"},
	} {
		s, err := parseWarm(c.cmd)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseWarm(%q): %v, want an error with %q", c.cmd, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseWarm(%q): %v", c.cmd, err)
			continue
		}
		if s.kind != c.kind || s.script != c.script || s.module != c.module || !slices.Equal(s.argv, c.argv) || !slices.Equal(s.args, c.args) {
			t.Errorf("parseWarm(%q) = %+v, want kind %s script %q module %q argv %q args %q", c.cmd, s, c.kind, c.script, c.module, c.argv, c.args)
		}
		if got := s.worker("/tmp/d.py"); slices.Contains(got, driverArg) || !slices.Contains(got, "/tmp/d.py") {
			t.Errorf("worker(%q) of %q = %q", "/tmp/d.py", c.cmd, got)
		}
	}
}

// quoteWords writes words back as sh would read them.
func quoteWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func TestShellWords(t *testing.T) {
	for line, want := range map[string][]string{
		"a b  c":             {"a", "b", "c"},
		`'a b' "c d" e\ f`:   {"a b", "c d", "e f"},
		`"a\"b" 'it'\''s'`:   {`a"b`, "it's"},
		`x=1`:                nil,
		"python3 -rd out=a":  {"python3", "-rd", "out=a"},
		"a ''":               {"a", ""},
		"\tklayout  -b\t-r ": {"klayout", "-b", "-r"},
	} {
		got, err := shellWords(line)
		if want == nil {
			if err == nil {
				t.Errorf("shellWords(%q) = %q, want an error", line, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("shellWords(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
}

// FuzzShellWords: words read from a line, quoted back, read the same; a
// line that reads has no word the shell would expand unquoted.
func FuzzShellWords(f *testing.F) {
	for _, s := range []string{"a b", `'a b' "c\"d" e\ f`, "python3 build.py", "x > y", "$HOME", `"unterminated`, "a\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := shellWords(line)
		if err != nil {
			return
		}
		again, err := shellWords(quoteWords(words))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("%q read as %q, quoted back as %q, read as %q, %v", line, words, quoteWords(words), again, err)
		}
	})
}

func TestParseDriverMsg(t *testing.T) {
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{`{"op":"hello","pid":12,"version":"3.11.2"}`, true},
		{`{"op":"done","id":3,"exit":0,"stopped":false}`, true},
		{`{"op":"done","id":3,"exit":1,"stopped":true}`, true},
		{`{"op":"stale","id":3,"why":"/x.py changed"}`, true},
		{`{"op":"hello"}`, false},
		{`{"op":"done","exit":0}`, false},
		{`{"op":"done","id":1,"exit":256}`, false},
		{`{"op":"done","id":1,"exit":-1}`, false},
		{`{"op":"stale","id":1}`, false},
		{`{"op":"what","id":1}`, false},
		{`{"op":"done","id":1,"exit":0,"extra":1}`, false},
		{`{"op":"done","id":1,"exit":0} {}`, false},
		{`not json`, false},
		{``, false},
	} {
		_, err := parseDriverMsg([]byte(c.line))
		if (err == nil) != c.ok {
			t.Errorf("parseDriverMsg(%q): %v, want ok %v", c.line, err, c.ok)
		}
	}
}

// FuzzDriverMsg: a line either fails to parse, or parses to a message that
// writes back to a line parsing to the same message.
func FuzzDriverMsg(f *testing.F) {
	for _, s := range []string{`{"op":"hello","pid":12,"version":"3.11.2"}`, `{"op":"done","id":3,"exit":0,"stopped":false}`,
		`{"op":"stale","id":3,"why":"/x.py changed"}`, `{"op":"done","id":1,"exit":0} {}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := parseDriverMsg(line)
		if err != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseDriverMsg(b)
		if err != nil || again != m {
			t.Fatalf("%q parsed to %+v, written as %s, parsed to %+v, %v", line, m, b, again, err)
		}
	})
}
