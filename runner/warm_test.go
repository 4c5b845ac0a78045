//go:build unix

package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// writeTree writes files (slash paths relative to dir) and returns dir.
func writeTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// warmRig is a project, a Runner in it and a Worker for its builds.
type warmRig struct {
	t         *testing.T
	dir       string
	out, errb testsupport.Buffer // the builds' stdout; their stderr and the status lines
	r         *Runner
	w         *Worker
}

func newWarmRig(t *testing.T, guard string, files map[string]string) *warmRig {
	t.Helper()
	testsupport.Python3(t)
	g := &warmRig{t: t, dir: writeTree(t, t.TempDir(), files)}
	g.r = &Runner{Dir: g.dir, Stdout: &g.out, Stderr: &g.errb, Guard: guard, Grace: 2 * time.Second}
	g.w = g.r.NewWorker([]string{g.dir})
	t.Cleanup(g.w.Close)
	return g
}

// eachGuard runs f with builds under the guard and without.
func eachGuard(t *testing.T, f func(t *testing.T, guard string)) {
	for _, m := range []struct{ name, guard string }{{"local", ""}, {"guarded", Self()}} {
		t.Run(m.name, func(t *testing.T) { f(t, m.guard) })
	}
}

// run runs one warm build of command and returns its result and the
// output it added (see record).
func (g *warmRig) run(req Request) (*Result, string) {
	g.t.Helper()
	var res *Result
	out := g.record(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res = g.w.Run(ctx, req)
	})
	return res, out
}

// record returns the output f added: stdout, a line "--stderr--", stderr.
func (g *warmRig) record(f func()) string {
	o, e := len(g.out.String()), len(g.errb.String())
	f()
	return g.out.String()[o:] + "--stderr--\n" + g.errb.String()[e:]
}

func (g *warmRig) write(name, text string) {
	g.t.Helper()
	writeTree(g.t, g.dir, map[string]string{name: text})
}

// pidOf finds "pid N" in a build's output.
func pidOf(t *testing.T, out string) int {
	t.Helper()
	m := regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no pid in %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// describe is an entry that prints what a build sees of its run: argv,
// working directory, environment, __main__, sys.path[0], which project
// modules were imported before it ran, and the value of a project module.
const describe = `import os, sys
print("argv", sys.argv)
print("cwd", os.getcwd())
print("env", os.environ.get("X"), repr(os.environ.get("LYWATCH_CHANGED")), os.environ.get("LYWATCH_WARM_FD"))
print("main", __name__, __file__, sorted(k for k in globals() if not k.startswith("__")))
print("path0", sys.path[0])
print("preloaded", sorted(m for m in sys.modules if m.startswith("pkg")))
from pkg import mod
print("value", mod.VALUE, mod.helper())
print("bytecode", sys.dont_write_bytecode)
sys.dont_write_bytecode = True
sys.path.insert(0, "/nowhere")
`

var describeProject = map[string]string{
	"build.py":        describe,
	"pkg/__init__.py": "",
	"pkg/mod.py":      "from pkg.helpers import helper\nVALUE = 1\n",
	"pkg/helpers.py":  "def helper():\n    return 'h1'\n",
}

// TestWarmSeesWhatAColdBuildSees: a warm build's entry runs with the argv,
// working directory, environment (lywatch's variables included),
// __main__, sys.path and project modules a cold build's does, run after
// run, and sees each edit of a project module.
func TestWarmSeesWhatAColdBuildSees(t *testing.T) {
	eachGuard(t, func(t *testing.T, guard string) {
		g := newWarmRig(t, guard, describeProject)
		req := Request{Command: []string{"python3", "build.py", "a b"}, Env: []string{"X=1"}, Changed: []string{"/p/x.py"}}
		var cold *Result
		coldOut := g.record(func() { cold = g.r.Run(context.Background(), req) })
		if !cold.OK() {
			t.Fatalf("cold build: %v\n%s", cold, coldOut)
		}
		for i := range 3 {
			res, out := g.run(req)
			want := map[int]string{0: WorkerNew, 1: WorkerWarm, 2: WorkerWarm}[i]
			if !res.OK() || res.Worker != want {
				t.Fatalf("warm build %d: %v (%q), want ok (%s)\n%s", i, res, res.Worker, want, out)
			}
			if body(out) != body(coldOut) {
				t.Errorf("warm build %d saw\n%s\nwhere a cold build saw\n%s", i, body(out), body(coldOut))
			}
		}
		g.write("pkg/helpers.py", "def helper():\n    return 'h2'\n")
		res, out := g.run(req)
		if !res.OK() || !strings.Contains(out, "value 1 h2") {
			t.Errorf("after an edit of a helper: %v\n%s", res, out)
		}
	})
}

// TestWarmModuleEntry: a build run as python3 -m MODULE sees, warm, the
// argv, __name__, sys.path[0] and imports it sees cold.
func TestWarmModuleEntry(t *testing.T) {
	g := newWarmRig(t, Self(), map[string]string{
		"pkg/__init__.py": "",
		"pkg/mod.py":      "VALUE = 1\n",
		"pkg/build.py": "import os, sys\nfrom pkg import mod\nprint('argv', sys.argv, __name__, __package__)\nprint('path0', sys.path[0])\n" +
			"print('value', mod.VALUE)\nprint('main', sys.modules['__main__'].__file__)\n",
	})
	req := Request{Command: []string{"python3", "-m", "pkg.build", "x"}}
	var cold *Result
	coldOut := g.record(func() { cold = g.r.Run(context.Background(), req) })
	if !cold.OK() {
		t.Fatalf("cold: %v\n%s", cold, coldOut)
	}
	for i := range 2 {
		res, out := g.run(req)
		if !res.OK() || body(out) != body(coldOut) {
			t.Errorf("warm build %d (%s): %v\n%s\nwhere cold:\n%s", i, res.Worker, res, body(out), body(coldOut))
		}
	}
}

// TestWarmKLayoutDefines: a klayout -b -r build sees, warm, the -rd
// defines as globals, the argv, __file__ and the error report it sees
// cold, build after build.
func TestWarmKLayoutDefines(t *testing.T) {
	kl := testsupport.KLayout(t)
	g := newWarmRig(t, Self(), map[string]string{
		"s.py": "import os, sys\nprint('defines', repr(globals().get('name')), repr(globals().get('flag')), 'pya' in globals())\n" +
			"print('argv', sys.argv, __file__, __name__)\nprint('globals', sorted(k for k in globals() if not k.startswith('_')))\n" +
			"if os.path.exists('fail'):\n    {}['missing']\nif os.path.exists('raise'):\n    raise KeyError('raised')\nif os.path.exists('empty'):\n    raise Exception()\n",
	})
	req := Request{Command: []string{kl, "-b", "-r", "s.py", "-rd", "name=a value", "-rd", "flag"}}
	for _, fail := range []string{"", "fail", "raise", "empty"} {
		if fail != "" {
			g.write(fail, "")
		}
		var cold *Result
		coldOut := g.record(func() { cold = g.r.Run(context.Background(), req) })
		runs := 1
		if fail == "" {
			runs = 2 // the worker's start, then warm
		}
		for i := range runs {
			res, out := g.run(req)
			if res.ExitCode != cold.ExitCode || body(out) != body(coldOut) {
				t.Errorf("%q: warm build %d (%s): %v\n%s\nwhere cold (%v):\n%s", fail, i, res.Worker, res, body(out), cold, body(coldOut))
			}
		}
		if fail != "" {
			os.Remove(filepath.Join(g.dir, fail))
		}
	}
}

// body is a build's output (see record) without lywatch's lines.
func body(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "[build] ") || l == "--stderr--" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestWarmFailuresReadAsCold: a failing warm build reports the exit status
// and the output (a traceback, a syntax error in a module, sys.exit) a
// cold build does, and the next build in the same worker is good again.
func TestWarmFailuresReadAsCold(t *testing.T) {
	g := newWarmRig(t, Self(), map[string]string{
		"build.py":        "import sys\nprint('start')\nimport pkg.mod\nprint('partial', end='')\nif pkg.mod.FAIL:\n    pkg.mod.fail()\n",
		"pkg/__init__.py": "",
		"pkg/mod.py":      "FAIL = 0\n",
	})
	req := Request{Command: []string{"python3", "build.py"}}
	if res, out := g.run(req); !res.OK() {
		t.Fatalf("first build: %v\n%s", res, out)
	}
	for _, c := range []struct{ name, mod string }{
		{"exception", "FAIL = 1\ndef fail():\n    raise ValueError('boom')\n"},
		{"chained exception", "FAIL = 1\ndef fail():\n    try:\n        {}['k']\n    except KeyError as e:\n        raise RuntimeError('wrapped') from e\n"},
		{"syntax error", "FAIL = 1\ndef fail(:\n    pass\n"},
		{"exit 3", "import sys\nFAIL = 1\ndef fail():\n    sys.exit(3)\n"},
		{"exit with a message", "import sys\nFAIL = 1\ndef fail():\n    sys.exit('giving up')\n"},
		{"good again", "FAIL = 0\n"},
	} {
		g.write("pkg/mod.py", c.mod)
		var cold *Result
		coldOut := g.record(func() { cold = g.r.Run(context.Background(), req) })
		res, out := g.run(Request{Command: req.Command, Reload: []string{"pkg.mod"}})
		if res.ExitCode != cold.ExitCode || res.Worker != WorkerWarm {
			t.Errorf("%s: warm %v (%s), cold %v", c.name, res, res.Worker, cold)
		}
		if body(out) != body(coldOut) {
			t.Errorf("%s: warm output\n%s\ncold output\n%s", c.name, body(out), body(coldOut))
		}
	}
}

// TestWarmReloadsWhatLywatchNames: a project module's code is kept in
// memory between builds unless lywatch names it (Request.Reload) or its
// file's size or time changed; it is never read from __pycache__ nor
// written there.
func TestWarmReloadsWhatLywatchNames(t *testing.T) {
	g := newWarmRig(t, "", map[string]string{
		"build.py":        "from pkg import mod\nprint('value', mod.VALUE)\n",
		"pkg/__init__.py": "",
		"pkg/mod.py":      "VALUE = 1\n",
	})
	req := Request{Command: []string{"python3", "build.py"}}
	if res, out := g.run(req); !res.OK() || !strings.Contains(out, "value 1") {
		t.Fatalf("first build: %v\n%s", res, out)
	}
	// Same size, same time: only lywatch's word says it changed.
	mod := filepath.Join(g.dir, "pkg", "mod.py")
	st, err := os.Stat(mod)
	if err != nil {
		t.Fatal(err)
	}
	g.write("pkg/mod.py", "VALUE = 2\n")
	if err := os.Chtimes(mod, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if _, out := g.run(req); !strings.Contains(out, "value 1") {
		t.Fatalf("a build told of no change did not take the kept code:\n%s", out)
	}
	if res, out := g.run(Request{Command: req.Command, Reload: []string{"pkg.mod"}}); !res.OK() || !strings.Contains(out, "value 2") {
		t.Errorf("a build told pkg.mod changed: %v\n%s", res, out)
	}
	g.write("pkg/mod.py", "VALUE = 33\n") // another size
	if _, out := g.run(req); !strings.Contains(out, "value 33") {
		t.Errorf("an edit changing the file's size was not seen:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(g.dir, "pkg", "__pycache__")); err == nil {
		t.Errorf("a __pycache__ was written in the project")
	}
}

// fixture is a third-party-like module outside the project, on PYTHONPATH,
// that counts the builds an interpreter ran.
var fixture = map[string]string{"thirdparty.py": "builds = 0\nVERSION = 1\n"}

// counting is an entry that counts its builds in the interpreter (in the
// third-party module, which stays imported) and prints its pid.
const counting = `import os, sys, time, thirdparty
thirdparty.builds += 1
print("pid", os.getpid(), "build", thirdparty.builds, "version", thirdparty.VERSION)
if thirdparty.builds > 1 and os.path.exists("crash"):
    os.remove("crash")
    print("crashing", flush=True)
    os.kill(os.getpid(), 9)
if thirdparty.builds > 1 and os.path.exists("hang"):
    os.remove("hang")
    time.sleep(60)
`

func newCountingRig(t *testing.T, guard string) (*warmRig, Request) {
	g := newWarmRig(t, guard, map[string]string{"build.py": counting})
	lib := writeTree(t, t.TempDir(), fixture)
	return g, Request{Command: []string{"python3", "build.py"}, Env: []string{"PYTHONPATH=" + lib}, Timeout: 20 * time.Second}
}

// TestWarmWorkerCrashIsRetried: a worker killed in the middle of a build
// is replaced, the build is run again in the new one, and says so.
func TestWarmWorkerCrashIsRetried(t *testing.T) {
	eachGuard(t, func(t *testing.T, guard string) {
		g, req := newCountingRig(t, guard)
		_, out := g.run(req)
		first := pidOf(t, out)
		g.write("crash", "")
		res, out := g.run(req)
		if !res.OK() || res.Worker != WorkerNew || !strings.Contains(out, "crashing") || !strings.Contains(out, "build 1 ") {
			t.Fatalf("build after a crash: %v (%s), want ok in a new worker\n%s", res, res.Worker, out)
		}
		if !strings.Contains(out, "the warm worker was killed by signal: killed during the build: building again in a new one") {
			t.Errorf("no word of the crash:\n%s", out)
		}
		if pid := pidOf(t, out[strings.Index(out, "crashing"):]); pid == first {
			t.Errorf("the build ran again in the same process %d", pid)
		}
		if !processGone(first) {
			t.Errorf("the crashed worker %d is still there", first)
		}
	})
}

// TestWarmWorkerHangIsRetried: a build that hangs past its timeout in a
// warm worker is run again in a new worker, which finishes it.
func TestWarmWorkerHangIsRetried(t *testing.T) {
	g, req := newCountingRig(t, Self())
	req.Timeout = 3 * time.Second
	_, out := g.run(req)
	first := pidOf(t, out)
	g.write("hang", "")
	start := time.Now()
	res, out := g.run(req)
	if !res.OK() || res.Worker != WorkerNew || !strings.Contains(out, "build 1 ") {
		t.Fatalf("build after a hang: %v (%s), want ok in a new worker\n%s", res, res.Worker, out)
	}
	if d := time.Since(start); d < req.Timeout || d > req.Timeout+15*time.Second {
		t.Errorf("the build took %s, want the timeout (%s) and a new worker's build", d, req.Timeout)
	}
	if !strings.Contains(out, "the warm worker hung past the timeout of 3.00 s: building again in a new one") {
		t.Errorf("no word of the hang:\n%s", out)
	}
	if !processGone(first) {
		t.Errorf("the hung worker %d is still there", first)
	}
}

// TestWarmThirdPartyEditRestarts: an edit to a module outside the project
// that a build imported (a fixture on PYTHONPATH) starts a new worker,
// which imports the new version; so does a change of the environment.
func TestWarmThirdPartyEditRestarts(t *testing.T) {
	g, req := newCountingRig(t, Self())
	lib := strings.TrimPrefix(req.Env[0], "PYTHONPATH=")
	_, out := g.run(req)
	first := pidOf(t, out)
	if res, out := g.run(req); res.Worker != WorkerWarm || pidOf(t, out) != first {
		t.Fatalf("second build: %v (%s), want the same warm worker\n%s", res, res.Worker, out)
	}
	writeTree(t, lib, map[string]string{"thirdparty.py": "builds = 0\nVERSION = 2\n"})
	res, out := g.run(req)
	if !res.OK() || res.Worker != WorkerNew || !strings.Contains(out, "version 2") {
		t.Fatalf("after a third-party edit: %v (%s), want ok in a new worker with version 2\n%s", res, res.Worker, out)
	}
	if want := "starting a new warm worker: " + filepath.Join(lib, "thirdparty.py") + " changed since it was imported"; !strings.Contains(out, want) {
		t.Errorf("no word of why (%q):\n%s", want, out)
	}
	second := pidOf(t, out)
	waitFor(t, "the old worker to end", func() bool { return processGone(first) })
	req.Env = append(req.Env, "OTHER=1")
	if res, out := g.run(req); res.Worker != WorkerNew || !strings.Contains(out, "the environment changed") {
		t.Errorf("after a change of the environment: %v (%s)\n%s", res, res.Worker, out)
	}
	waitFor(t, "the second worker to end", func() bool { return processGone(second) })
	req.Command = []string{"python3", "-B", "build.py"}
	if res, out := g.run(req); res.Worker != WorkerNew || !strings.Contains(out, "the command changed") {
		t.Errorf("after a change of the command: %v (%s)\n%s", res, res.Worker, out)
	}
}

// TestWarmInterpreterChangeRestarts: a change of the interpreter's program
// (an upgrade; here a python3 shim on PATH, rewritten) starts a new worker.
func TestWarmInterpreterChangeRestarts(t *testing.T) {
	real := testsupport.Python3(t)
	bin := t.TempDir()
	shim := filepath.Join(bin, "python3")
	write := func(comment string) {
		if err := os.WriteFile(shim, []byte("#!/bin/sh\n# "+comment+"\nexec "+real+" \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("first")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	g := newWarmRig(t, Self(), map[string]string{"build.py": "import os\nprint('pid', os.getpid())\n"})
	req := Request{Command: []string{"python3", "build.py"}}
	g.run(req)
	if res, _ := g.run(req); res.Worker != WorkerWarm {
		t.Fatalf("second build: %s, want warm", res.Worker)
	}
	write("second, a longer one")
	res, out := g.run(req)
	if res.Worker != WorkerNew || !strings.Contains(out, "starting a new warm worker: "+shim+" changed") {
		t.Errorf("after the interpreter changed: %v (%s)\n%s", res, res.Worker, out)
	}
}

// TestWarmResetHookFailing: a lywatch_reset() that raises starts a new
// worker, saying so, and the build runs in it.
func TestWarmResetHookFailing(t *testing.T) {
	g := newWarmRig(t, "", map[string]string{
		"build.py": "import os\nprint('pid', os.getpid())\ndef lywatch_reset():\n    raise RuntimeError('cannot reset')\n",
	})
	req := Request{Command: []string{"python3", "build.py"}}
	g.run(req)
	res, out := g.run(req)
	if !res.OK() || res.Worker != WorkerNew || !strings.Contains(out, "starting a new warm worker: lywatch_reset() raised RuntimeError: cannot reset") {
		t.Errorf("after a failing reset: %v (%s)\n%s", res, res.Worker, out)
	}
}

// TestWarmStopKeepsTheWorker: a warm build stopped by its context ends
// at once, its output after the stop is not shown, and the next build
// runs in the same worker.
func TestWarmStopKeepsTheWorker(t *testing.T) {
	g := newWarmRig(t, Self(), map[string]string{
		"build.py": "import os, sys, time\nprint('pid', os.getpid(), flush=True)\nif os.path.exists('slow'):\n    try:\n        time.sleep(60)\n    except BaseException:\n        print('interrupted')\n        raise\n",
	})
	req := Request{Command: []string{"python3", "build.py"}}
	_, out := g.run(req)
	pid := pidOf(t, out)
	g.write("slow", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Result, 1)
	go func() { done <- g.w.Run(ctx, req) }()
	waitFor(t, "the slow build", func() bool { return strings.Count(g.out.String(), "pid ") == 2 })
	start := time.Now()
	cancel()
	res := <-done
	if !res.Stopped || time.Since(start) > time.Second {
		t.Errorf("stopped build: %v after %s, want stopped at once", res, time.Since(start))
	}
	if strings.Contains(g.out.String(), "interrupted") {
		t.Errorf("the output of a stopped build was shown after the stop:\n%s", g.out.String())
	}
	os.Remove(filepath.Join(g.dir, "slow"))
	if res, out := g.run(req); !res.OK() || res.Worker != WorkerWarm || pidOf(t, out) != pid {
		t.Errorf("build after a stop: %v (%s), want the same worker %d\n%s", res, res.Worker, pid, out)
	}
}

// TestWarmResetHook: lywatch_reset(), when the entry defines one, is
// called once between builds, so state a third-party module keeps starts
// each build as it would in a new interpreter. The builds after the first
// run warm in the same process: the module's build counter (which the hook
// leaves) goes on counting, while the list the hook clears starts empty
// each time, and the hook's own count says it ran once per build.
func TestWarmResetHook(t *testing.T) {
	g := newWarmRig(t, "", map[string]string{
		"build.py": "import os, thirdparty\nthirdparty.builds += 1\nthirdparty.cells = getattr(thirdparty, 'cells', [])\n" +
			"thirdparty.cells.append('c')\n" +
			"print('pid', os.getpid(), 'build', thirdparty.builds, 'resets', getattr(thirdparty, 'resets', 0), 'cells', len(thirdparty.cells))\n" +
			"def lywatch_reset():\n    thirdparty.cells.clear()\n    thirdparty.resets = getattr(thirdparty, 'resets', 0) + 1\n",
	})
	lib := writeTree(t, t.TempDir(), fixture)
	req := Request{Command: []string{"python3", "build.py"}, Env: []string{"PYTHONPATH=" + lib}}
	pid := 0
	for i := range 3 {
		res, out := g.run(req)
		want, worker := fmt.Sprintf("build %d resets %d cells 1\n", i+1, i), WorkerWarm
		if i == 0 {
			worker = WorkerNew
		}
		switch {
		case !res.OK() || res.Worker != worker:
			t.Errorf("build %d: %v (%s), want ok (%s)\n%s", i+1, res, res.Worker, worker, out)
		case i == 0:
			pid = pidOf(t, out)
		case pidOf(t, out) != pid:
			t.Errorf("build %d ran in process %d, want the worker %d\n%s", i+1, pidOf(t, out), pid, out)
		}
		if !strings.Contains(out, want) {
			t.Errorf("build %d printed %q, want %q (the hook ran once between builds, in the same interpreter)", i+1, out, want)
		}
	}
}

// TestWarmCloseLeavesNoProcess: closing a worker (lywatch quitting) ends
// its interpreter and every process its builds left, by pid.
func TestWarmCloseLeavesNoProcess(t *testing.T) {
	eachGuard(t, func(t *testing.T, guard string) {
		g := newWarmRig(t, guard, map[string]string{
			"build.py": "import os, subprocess\nprint('pid', os.getpid())\np = subprocess.Popen(['sleep', '60'])\nprint('child', p.pid)\n",
		})
		res, out := g.run(Request{Command: []string{"python3", "build.py"}})
		if !res.OK() {
			t.Fatalf("build: %v\n%s", res, out)
		}
		pid := pidOf(t, out)
		child, _ := strconv.Atoi(regexp.MustCompile(`child (\d+)`).FindStringSubmatch(out)[1])
		g.w.Close()
		for _, p := range []int{pid, child} {
			if !processGone(p) {
				t.Errorf("process %d outlived Close", p)
			}
		}
	})
}

// TestWarmLeftoversStopped: processes a warm build leaves behind are
// stopped when it ends, as a cold build's are; the worker stays.
func TestWarmLeftoversStopped(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("leftovers are found through /proc")
	}
	eachGuard(t, func(t *testing.T, guard string) {
		g := newWarmRig(t, guard, map[string]string{
			"build.py": "import os, subprocess\nprint('pid', os.getpid())\n" +
				"p = subprocess.Popen(['sh', '-c', 'sleep 60 & echo $! > orphan; exec sleep 60'])\nprint('child', p.pid)\n" +
				"import time\nwhile not os.path.exists('orphan') or not open('orphan').read().endswith('\\n'):\n    time.sleep(0.01)\n",
		})
		req := Request{Command: []string{"python3", "build.py"}}
		res, out := g.run(req)
		if !res.OK() {
			t.Fatalf("build: %v\n%s", res, out)
		}
		child, _ := strconv.Atoi(regexp.MustCompile(`child (\d+)`).FindStringSubmatch(out)[1])
		orphan, _ := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(g.dir, "orphan"))))
		for _, p := range []int{child, orphan} {
			if !processGone(p) {
				t.Errorf("process %d the build left outlived its status line", p)
			}
		}
		if res, out2 := g.run(req); res.Worker != WorkerWarm || pidOf(t, out2) != pidOf(t, out) {
			t.Errorf("the next build: %v (%s), want the same worker", res, res.Worker)
		}
	})
}

// TestWarmMemoryBound: a worker whose memory grows past twice what it was
// after its first build (state piling up in a third-party module) is
// replaced before the next build, which says so.
func TestWarmMemoryBound(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory is read from /proc")
	}
	g := newWarmRig(t, "", map[string]string{
		"build.py": "import os, thirdparty\nthirdparty.kept = getattr(thirdparty, 'kept', [])\nthirdparty.kept.append(bytearray(8 << 20))\n" +
			"for b in thirdparty.kept[-1:]:\n    b[::4096] = b'x' * len(b[::4096])\nprint('pid', os.getpid())\n",
	})
	lib := writeTree(t, t.TempDir(), fixture)
	req := Request{Command: []string{"python3", "build.py"}, Env: []string{"PYTHONPATH=" + lib}}
	_, out := g.run(req)
	first := pidOf(t, out)
	for i := 0; i < 20; i++ {
		res, out := g.run(req)
		if res.Worker == WorkerNew {
			if !strings.Contains(out, "starting a new warm worker: its memory grew from ") || pidOf(t, out) == first {
				t.Errorf("a new worker without a word of why:\n%s", out)
			}
			return
		}
	}
	t.Errorf("a worker growing by 8 MB a build was never replaced")
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestColdFallback: a command that cannot run warm is built on its own,
// with one line saying why.
func TestColdFallback(t *testing.T) {
	g := newWarmRig(t, "", nil)
	for range 2 {
		res, _ := g.run(Request{Command: []string{"sh", "-c", "echo hi | cat"}})
		if !res.OK() || res.Worker != "" {
			t.Errorf("cold fallback: %v (%q)", res, res.Worker)
		}
	}
	if n := strings.Count(g.errb.String(), "building without a warm worker:"); n != 1 {
		t.Errorf("said %d times why the build is not warm, want once:\n%s", n, g.errb.String())
	}
}
