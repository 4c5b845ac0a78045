package config

import (
	"errors"
	"flag"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/watcher"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const pyproject = `[project]
name = "mypdk"

[tool.black]
line-length = 100

[tool.lywatch]
watch = ["pdk"]
include = ["**/*.py", "**/*.yaml"]
exclude = ["pdk/scratch/**"]
debounce = "30ms"
on_busy = "queue"
output = "build/chip.gds"
reference = "tests/ref/chip.gds"
command = "python -m pdk.build"
session_dir = "build/sess"
klayout = "127.0.0.1:9999"
protocol = "klive"
push = false
show_diff = true
decorators = ["cell", "gf.cell"]
granularity = "file"
python_roots = ["."]
timeout = "10m"
warm = true
jobs = 3

[[tool.lywatch.targets]]
name = "chip"
command = ["python", "chip.py"]
output = "build/chip.gds"
entry = ["chip.py"]
timeout = 90000
warm = false
reference = "tests/ref/chip.gds"

[[tool.lywatch.targets]]
name = "ring"
command = "python ring.py"

[[tool.lywatch.targets]]
name = "slow"
timeout = "0s"
`

func TestLoadPyproject(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "pyproject.toml", pyproject)
	c := Default()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Watch = []string{filepath.Join(dir, "pdk")}
	want.Include = []string{"**/*.py", "**/*.yaml"}
	want.Exclude = []string{"pdk/scratch/**"}
	want.Debounce = 30 * time.Millisecond
	want.OnBusy = "queue"
	want.Output = filepath.Join(dir, "build/chip.gds")
	want.Reference = filepath.Join(dir, "tests/ref/chip.gds")
	want.Command = []string{"sh", "-c", "python -m pdk.build"}
	want.SessionDir = filepath.Join(dir, "build/sess")
	want.KLayout = []string{"127.0.0.1:9999"}
	want.Protocol = "klive"
	want.Push = false
	want.ShowDiff = true
	want.Decorators = []string{"cell", "gf.cell"}
	want.Granularity = "file"
	want.PythonRoots = []string{dir}
	want.Timeout = 10 * time.Minute
	want.Warm, want.Jobs = true, 3
	want.Targets = []Target{
		{Name: "chip", Command: []string{"python", "chip.py"}, Output: filepath.Join(dir, "build/chip.gds"), Entry: []string{filepath.Join(dir, "chip.py")}, Timeout: 90 * time.Second,
			Reference: filepath.Join(dir, "tests/ref/chip.gds")},
		{Name: "ring", Command: []string{"sh", "-c", "python ring.py"}, Timeout: 10 * time.Minute, Warm: true},
		{Name: "slow", Warm: true},
	}
	want.File = p
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
}

func TestLywatchTOMLTopLevel(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "lywatch.toml", "command = [\"make\"]\ndebounce = 15\nno_initial = true\n")
	c := Default()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Command, []string{"make"}) || c.Debounce != 15*time.Millisecond || !c.NoInitial {
		t.Errorf("got %+v", c)
	}
}

func TestFileErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		msg        string
	}{
		{"unknown key", "[tool.lywatch]\ncommand = \"make\"\ndebounc = \"5ms\"\n", 3, `unknown key "debounc"`},
		{"bad on_busy", "[tool.lywatch]\n\non_busy = \"later\"  # oops\n", 3, "on_busy"},
		{"bad duration", "[tool.lywatch]\ndebounce = \"fast\"\n", 2, "debounce"},
		{"wrong type", "[tool.lywatch]\npoll = \"yes\"\n", 2, "poll: value is a string, want a boolean"},
		{"table for a string", "[tool.lywatch]\n\ncommand = {a = 1}\n", 3, "command: is a table"},
		{"unknown key in a table", "[tool.lywatch]\ncommand = 'make'\nextra = {a = 1}\n", 3, "unknown key \"extra"},
		{"bad list", "[tool.lywatch]\ninclude = [1, 2]\n", 2, "include"},
		{"syntax", "[tool.lywatch]\ncommand = \"make\n", 2, ""},
		{"target without name", "[tool.lywatch]\n[[tool.lywatch.targets]]\nname = \"a\"\n[[tool.lywatch.targets]]\noutput = \"x\"\n", 4, "targets[1].name: missing"},
		{"target bad command", "[tool.lywatch]\n[[tool.lywatch.targets]]\nname = \"a\"\n[[tool.lywatch.targets]]\nname = \"b\"\ncommand = 5\n", 6, "targets[1].command"},
		{"target unknown key", "[tool.lywatch]\n[[tool.lywatch.targets]]\nname = \"a\"\nentri = [\"x\"]\n", 4, "unknown key \"targets.entri\""},
		{"duplicate target", "[tool.lywatch]\n[[tool.lywatch.targets]]\nname = \"a\"\n[[tool.lywatch.targets]]\nname = \"a\"\n", 5, "used by two"},
		{"targets not tables", "[tool.lywatch]\ntargets = 3\n", 2, "targets: value is an integer, want an array"},
		{"bad protocol", "[tool.lywatch]\nprotocol = \"http\"\n", 2, "protocol"},
		{"bad timeout", "[tool.lywatch]\ntimeout = \"soon\"\n", 2, "timeout: \"soon\" is not a duration"},
		{"negative target timeout", "[tool.lywatch]\n[[tool.lywatch.targets]]\nname = \"a\"\ntimeout = -5\n", 4, "targets[0].timeout: -5 is negative"},
		{"negative jobs", "[tool.lywatch]\ncommand = 'make'\njobs = -2\n", 3, "jobs: -2: want a number of builds at once up to 65536, or 0 for one per CPU"},
		{"jobs not a number", "[tool.lywatch]\njobs = \"all\"\n", 2, "jobs: value is a string, want an integer"},
		{"warm not a boolean", "[tool.lywatch]\n[[tool.lywatch.targets]]\nname = \"a\"\nwarm = 1\n", 4, "warm: value is an integer, want a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "pyproject.toml", tt.text)
			err := Default().LoadFile(p)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FileError", err)
			}
			if fe.File != p || fe.Line != tt.line || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("got %q (line %d), want line %d with %q", err, fe.Line, tt.line, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), p+":") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, ".git/HEAD", "")
	sub := filepath.Join(root, "a", "b")
	writeFile(t, sub, "pyproject.toml", "[project]\nname='x'\n") // no [tool.lywatch]: keep looking
	if p, _, err := Find(sub); err != nil || p != "" {
		t.Errorf("Find with no config = %q, %v", p, err)
	}
	want := writeFile(t, root, "pyproject.toml", "[tool.lywatch]\ncommand='make'\n")
	if p, _, _ := Find(sub); p != want {
		t.Errorf("Find = %q, want %q", p, want)
	}
	want = writeFile(t, root, "a/lywatch.toml", "command='make'\n")
	if p, _, _ := Find(sub); p != want {
		t.Errorf("Find = %q, want %q", p, want)
	}
	c, err := Parse(nil, sub, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if a := filepath.Join(root, "a"); c.Dir != a || !reflect.DeepEqual(c.Watch, []string{a}) {
		t.Errorf("project dir %q, watch %q; want the config file's directory %q", c.Dir, c.Watch, a)
	}
}

func TestParseFlagsOverrideFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".git/HEAD", "")
	writeFile(t, dir, "pyproject.toml", "[tool.lywatch]\ncommand = 'make'\ndebounce = '50ms'\npoll = true\nexclude = ['a/**']\n")
	c, err := Parse([]string{"--debounce", "5ms", "--poll=false", "--watch", "src", "--exclude", "b/**", "--no-push", "--once", "--", "python", "x.py", "-v"}, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Debounce != 5*time.Millisecond || c.Poll || c.Push || !c.Once {
		t.Errorf("flags not laid over the file: %+v", c)
	}
	if !reflect.DeepEqual(c.Watch, []string{filepath.Join(dir, "src")}) {
		t.Errorf("watch = %v", c.Watch)
	}
	if !reflect.DeepEqual(c.Exclude, []string{"a/**", "b/**"}) {
		t.Errorf("exclude = %v", c.Exclude)
	}
	if !reflect.DeepEqual(c.Command, []string{"python", "x.py", "-v"}) {
		t.Errorf("command = %v", c.Command)
	}
}

// TestKLayoutFlags: --klayout is repeatable and keeps every value, in
// order, over the file's klayout; --klayout-name overrides klayout_name.
func TestKLayoutFlags(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".git/HEAD", "")
	writeFile(t, dir, "lywatch.toml", "command = 'make'\nklayout = '127.0.0.1:9999'\nklayout_name = 'from-file'\n")
	tests := []struct {
		name    string
		args    []string
		targets []string
		kname   string
	}{
		{"the file's", nil, []string{"127.0.0.1:9999"}, "from-file"},
		{"one flag", []string{"--klayout", "127.0.0.1:1"}, []string{"127.0.0.1:1"}, "from-file"},
		{"two flags", []string{"--klayout", "127.0.0.1:1", "--klayout=[::1]:2"}, []string{"127.0.0.1:1", "[::1]:2"}, "from-file"},
		{"three, one twice", []string{"--klayout", "a:1", "--klayout", "b:2", "--klayout", "a:1"}, []string{"a:1", "b:2", "a:1"}, "from-file"},
		{"a name", []string{"--klayout-name", "chip-review"}, []string{"127.0.0.1:9999"}, "chip-review"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.args, dir, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.KLayout, tt.targets) || c.KLayoutName != tt.kname {
				t.Errorf("Parse(%q): klayout %q, name %q; want %q, %q", tt.args, c.KLayout, c.KLayoutName, tt.targets, tt.kname)
			}
		})
	}
}

// TestWarmAndJobsFlags: --warm holds for every target, whatever the file
// says of each; --jobs sets how many builds run at once.
func TestWarmAndJobsFlags(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".git/HEAD", "")
	writeFile(t, dir, "lywatch.toml", "jobs = 4\n[[targets]]\nname = 'a'\ncommand = 'make a'\nwarm = false\n[[targets]]\nname = 'b'\ncommand = 'make b'\n")
	c, err := Parse(nil, dir, io.Discard)
	if err != nil || c.Jobs != 4 || c.Warm || c.WarmFromFlag || c.Targets[0].Warm || c.Targets[1].Warm {
		t.Fatalf("from the file: %+v, %v", c, err)
	}
	c, err = Parse([]string{"--warm", "--jobs", "2"}, dir, io.Discard)
	if err != nil || c.Jobs != 2 || !c.Warm || !c.WarmFromFlag {
		t.Errorf("--warm --jobs 2: %+v, %v", c, err)
	}
}

func TestParseDefaultsAndErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".git/HEAD", "")
	c, err := Parse([]string{"--", "make"}, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Watch, []string{dir}) || c.Dir != dir || c.Debounce != DefaultDebounce || !c.Push || c.OnBusy != "restart" {
		t.Errorf("defaults: %+v", c)
	}
	if _, err := Parse(nil, dir, io.Discard); err == nil {
		t.Error("no command: no error")
	}
	for _, bad := range [][]string{{"--on-busy", "never"}, {"--protocol", "http"}, {"--granularity", "line"}, {"--jobs", "-1"}, {"--jobs", "1000000"}} {
		_, err := Parse(append(bad, "--", "make"), dir, io.Discard)
		if err == nil || !strings.Contains(err.Error(), bad[1]) {
			t.Errorf("%s %s: %v, want an error naming the value", bad[0], bad[1], err)
		}
	}
	if _, err := Parse([]string{"-h"}, dir, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	bad := writeFile(t, dir, "other.toml", "nope = 1\n")
	if _, err := Parse([]string{"--config", bad, "--", "make"}, dir, io.Discard); err == nil || !strings.Contains(err.Error(), "other.toml:1") {
		t.Errorf("--config with a bad key: %v", err)
	}
}

func FuzzLoadFile(f *testing.F) {
	f.Add(pyproject)
	f.Add("[tool.lywatch]\ndebounce = 5\n[[tool.lywatch.targets]]\nname='a'\n")
	f.Fuzz(func(t *testing.T, text string) {
		p := filepath.Join(t.TempDir(), "pyproject.toml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c := Default()
		if err := c.LoadFile(p); err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FileError", err)
			}
		}
	})
}

// The defaults config names are the watcher's and the push client's own.
func TestDefaultsMatchTheirPackages(t *testing.T) {
	if DefaultDebounce != watcher.DefaultDebounce || DefaultPollInterval != watcher.DefaultPollInterval {
		t.Errorf("config's watch defaults %s, %s; the watcher's %s, %s", DefaultDebounce, DefaultPollInterval, watcher.DefaultDebounce, watcher.DefaultPollInterval)
	}
	if DefaultKLayout != ipc.DefaultAddr {
		t.Errorf("config's KLayout address %s, the client's %s", DefaultKLayout, ipc.DefaultAddr)
	}
}

// The search stops at the git root, or, outside git, at the user's home or
// the current directory: a folder above the project (such as /tmp) never
// supplies settings.
func TestFindStops(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	above := t.TempDir() // another tree, outside home and outside git
	writeFile(t, above, "lywatch.toml", "command='evil'\n")
	outside := filepath.Join(above, "proj", "sub")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := Find(outside); p != "" {
		t.Errorf("outside git and home, Find climbed to %q; want only the current directory", p)
	}
	writeFile(t, outside, "lywatch.toml", "command='make'\n")
	if p, _, _ := Find(outside); p != filepath.Join(outside, "lywatch.toml") {
		t.Errorf("Find = %q, want the current directory's file", p)
	}

	// Below home and outside git: up to home, not beyond.
	deep := filepath.Join(home, "work", "pdk", "sub")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	want := writeFile(t, home, "work/lywatch.toml", "command='make'\n")
	if p, _, _ := Find(deep); p != want {
		t.Errorf("below home: Find = %q, want %q", p, want)
	}

	// In git: up to the git root, not beyond.
	repo := filepath.Join(above, "repo")
	writeFile(t, repo, ".git/HEAD", "")
	if p, _, _ := Find(filepath.Join(repo)); p != "" {
		t.Errorf("in git, Find climbed above the git root to %q", p)
	}
}

// A configuration file another user can write is never read.
func TestFindSkipsFilesOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".git/HEAD", "")
	p := writeFile(t, dir, "lywatch.toml", "command='evil'\n")
	if err := os.Chmod(p, 0o666); err != nil {
		t.Fatal(err)
	}
	got, skipped, err := Find(dir)
	if err != nil || got != "" {
		t.Fatalf("Find read a world-writable file: %q, %v", got, err)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "writable by other users") {
		t.Errorf("skipped = %q, want the file and why", skipped)
	}
	if os.Getuid() != 0 {
		return
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if got, skipped, _ := Find(dir); got != "" || len(skipped) != 1 || !strings.Contains(skipped[0], "owned by another user") {
		t.Errorf("a file of uid 65534: Find = %q, skipped %q", got, skipped)
	}
}

// A word that is not after -- is not taken as the build command.
func TestParseUnexpectedArgument(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".git/HEAD", "")
	for _, args := range [][]string{{"stauts"}, {"--once", "make"}, {"make", "--", "x"}} {
		_, err := Parse(args, dir, io.Discard)
		var ue *UnexpectedArgError
		if !errors.As(err, &ue) || ue.Arg != args[len(args)-1] && ue.Arg != args[0] && ue.Arg != "make" {
			t.Errorf("Parse(%q) = %v, want an UnexpectedArgError", args, err)
		}
	}
	c, err := Parse([]string{"--once", "--force", "--show-diff", "--", "make", "all"}, dir, io.Discard)
	if err != nil || !reflect.DeepEqual(c.Command, []string{"make", "all"}) || !c.CommandFromFlags || !c.Force || !c.ShowDiff {
		t.Errorf("Parse with -- = %+v, %v", c, err)
	}
}

// A checkout cannot make lywatch write outside itself: output and
// session_dir of its configuration must stay inside the project root,
// unless the user runs lywatch with --allow-outside.
func TestPathsOutsideTheProjectNeedAFlag(t *testing.T) {
	for _, tc := range []struct{ name, toml, key string }{
		{"output", "output = \"../victim/.bashrc\"\ncommand = \"echo\"\n", "lywatch.toml:1: output"},
		{"session_dir", "command = \"echo\"\nsession_dir = \"/tmp/elsewhere\"\n", "lywatch.toml:2: session_dir"},
		{"target output", "[[targets]]\nname = \"a\"\ncommand = \"echo\"\noutput = \"../../x.gds\"\n", "lywatch.toml:4: targets[0].output"},
		{"reference", "command = \"echo\"\nreference = \"/tmp/ref.gds\"\n", "lywatch.toml:2: reference"},
		{"target reference", "[[targets]]\nname = \"a\"\ncommand = \"echo\"\n\nreference = \"../r.gds\"\n", "lywatch.toml:5: targets[0].reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, ".git/HEAD", "")
			writeFile(t, dir, "lywatch.toml", tc.toml)
			_, err := Parse(nil, dir, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), "--allow-outside") {
				t.Fatalf("Parse = %v, want an error at %s naming --allow-outside", err, tc.key)
			}
			if _, err := Parse([]string{"--allow-outside"}, dir, io.Discard); err != nil {
				t.Errorf("with --allow-outside: %v", err)
			}
		})
	}
	dir := t.TempDir()
	writeFile(t, dir, ".git/HEAD", "")
	writeFile(t, dir, "pdk/lywatch.toml", "output = \"../build/chip.gds\"\ncommand = \"echo\"\n")
	if _, err := Parse(nil, filepath.Join(dir, "pdk"), io.Discard); err != nil {
		t.Errorf("an output inside the git root, above the file: %v", err)
	}
}
