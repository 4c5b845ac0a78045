package loop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/runner"
)

// meetScript is a build that waits (up to 3 s) until the builds of all the
// targets named in $MEET have started, then sleeps 1 s: builds run one at
// a time fail it.
const meetScript = `touch "started-$LYWATCH_TARGET"; n=0
for t in $MEET; do while [ ! -e "started-$t" ]; do n=$((n+1)); [ $n -lt 300 ] || exit 5; sleep 0.01; done; done
sleep 1; echo "$LYWATCH_TARGET" > "$LYWATCH_TARGET.gds"`

// TestIndependentTargetsBuildSideBySide: two targets that do not use each
// other's layouts, whose builds each sleep 1 s, build at the same time:
// the cycle takes about 1 s, not 2.
func TestIndependentTargetsBuildSideBySide(t *testing.T) {
	dir := t.TempDir()
	var out, js testsupport.Buffer
	target := func(name string) Target {
		return Target{Name: name, Command: []string{"sh", "-c", meetScript}, Output: filepath.Join(dir, name+".gds")}
	}
	t.Setenv("MEET", "a b")
	code, err := Run(context.Background(), Options{
		Targets: []Target{target("a"), target("b")},
		Runner:  &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out},
		Out:     &out, JSON: &js, Root: dir, Once: true, Jobs: 2,
		Hooks: Hooks{Plan: func(context.Context, *Cycle) (*Plan, error) {
			return &Plan{Targets: []string{"a", "b"}, Uses: map[string][]string{"a": nil, "b": nil}}, nil
		}},
	})
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v\n%s", code, err, out.String())
	}
	r := decodeReports(t, js.String())
	if len(r) != 1 || len(r[0].Builds) != 2 {
		t.Fatalf("reports %+v", r)
	}
	if d := time.Duration(r[0].DurationMS * float64(time.Millisecond)); d > 1900*time.Millisecond {
		t.Errorf("the cycle took %s; two builds of 1 s side by side take about 1 s", d)
	}
	for _, name := range []string{"a", "b"} {
		if n := strings.Count(out.String(), "\n"+name+": start-up → build "); n != 1 {
			t.Errorf("%d summary lines of %s, want 1:\n%s", n, name, out.String())
		}
	}
}

// capScript is a build that counts, as it starts, the builds running
// (its own included) into counts, sleeps 0.3 s and ends.
const capScript = `touch "running-$LYWATCH_TARGET"; ls running-* | wc -l >> counts
sleep 0.3; rm "running-$LYWATCH_TARGET"; echo "$LYWATCH_TARGET" > "$LYWATCH_TARGET.gds"`

// TestJobsCapsTheBuildsAtOnce: three independent targets with Jobs: 2
// never build three at once, and two of them do build side by side.
func TestJobsCapsTheBuildsAtOnce(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	target := func(name string) Target {
		return Target{Name: name, Command: []string{"sh", "-c", capScript}, Output: filepath.Join(dir, name+".gds")}
	}
	code, err := Run(context.Background(), Options{
		Targets: []Target{target("a"), target("b"), target("c")},
		Runner:  &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out},
		Out:     &out, Root: dir, Once: true, Jobs: 2,
		Hooks: Hooks{Plan: func(context.Context, *Cycle) (*Plan, error) {
			return &Plan{Targets: []string{"a", "b", "c"}, Uses: map[string][]string{"a": nil, "b": nil, "c": nil}}, nil
		}},
	})
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v\n%s", code, err, out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "counts"))
	if err != nil {
		t.Fatal(err)
	}
	counts := strings.Fields(string(b))
	if len(counts) != 3 {
		t.Fatalf("%d builds counted, want 3\n%s", len(counts), out.String())
	}
	most := slices.Max(counts)
	if most != "2" {
		t.Errorf("at most %s builds ran at once (as each started: %v), want 2 with Jobs: 2", most, counts)
	}
}

// TestJobsDefault: Jobs 0 (or less) is one build per CPU.
func TestJobsDefault(t *testing.T) {
	for _, tt := range []struct{ n, want int }{
		{0, runtime.NumCPU()},
		{-1, runtime.NumCPU()},
		{1, 1},
		{2, 2},
		{64, 64},
	} {
		if got := jobs(tt.n); got != tt.want {
			t.Errorf("jobs(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// TestUserWaitsForTheTargetItUses: chip places lib's cells, so its build
// waits for lib's of the same cycle and sees lib's new layout, though two
// builds could run at once; a target of its own builds beside them.
func TestUserWaitsForTheTargetItUses(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	lib := filepath.Join(dir, "lib.gds")
	o := Options{
		Targets: []Target{
			{Name: "chip", Command: []string{"sh", "-c", `cat lib.gds > chip.gds; echo chip >> order`}, Output: filepath.Join(dir, "chip.gds")},
			{Name: "lib", Command: []string{"sh", "-c", `sleep 0.3; echo "lib of cycle $LYWATCH_CYCLE" > lib.gds; echo lib >> order`}, Output: lib},
		},
		Runner: &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out},
		Out:    &out, Root: dir, Jobs: 2,
		Hooks: Hooks{Plan: func(_ context.Context, c *Cycle) (*Plan, error) {
			return &Plan{Targets: []string{"lib", "chip"}, Uses: map[string][]string{"chip": {"lib"}}}, nil
		}},
	}
	src := newFakeSource()
	o.Source = src
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { Run(ctx, o); close(done) }()
	read := func(name string) string { b, _ := os.ReadFile(filepath.Join(dir, name)); return string(b) }
	waitFor(t, "the start-up builds", func() bool { return strings.Count(out.String(), " ok → ") == 2 })
	src.send(t, filepath.Join(dir, "x.py"))
	waitFor(t, "the second builds", func() bool { return strings.Count(out.String(), " ok → ") == 4 })
	cancel()
	<-done
	if got := read("chip.gds"); got != "lib of cycle 2\n" {
		t.Errorf("chip's build saw %q, want lib's layout of cycle 2", got)
	}
	if got := read("order"); got != "lib\nchip\nlib\nchip\n" {
		t.Errorf("builds ended in the order %q, want lib before chip each time", got)
	}
}

// TestChangeStopsOnlyTheBuildsItReaches: a change during a cycle that
// reaches one target stops and restarts that target's build alone; the
// other's build goes on, and each target has one summary line per build,
// in the order they end, behind its name.
func TestChangeStopsOnlyTheBuildsItReaches(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	// Each build logs its start; slow's first build waits for a file.
	script := `echo "$LYWATCH_TARGET $LYWATCH_CYCLE" >> starts
if [ "$LYWATCH_TARGET" = slow ] && [ "$LYWATCH_CYCLE" = 1 ]; then while [ ! -e go ]; do sleep 0.01; done; fi
if [ "$LYWATCH_TARGET" = edited ] && [ "$LYWATCH_CYCLE" = 1 ]; then sleep 1000; fi
touch "$LYWATCH_TARGET.gds"`
	target := func(name string) Target {
		return Target{Name: name, Command: []string{"sh", "-c", script}, Output: filepath.Join(dir, name+".gds")}
	}
	src := newFakeSource()
	o := Options{
		Source: src, Targets: []Target{target("slow"), target("edited")},
		Runner: &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out, Grace: time.Second},
		Out:    &out, Root: dir, Jobs: 2,
		Hooks: Hooks{Plan: func(_ context.Context, c *Cycle) (*Plan, error) {
			if c.Initial {
				return &Plan{Targets: []string{"slow", "edited"}}, nil
			}
			// Both are still waiting for a good build; the edit reaches one.
			return &Plan{Targets: []string{"slow", "edited"}, Reached: []string{"edited"}}, nil
		}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { Run(ctx, o); close(done) }()
	starts := func() string { b, _ := os.ReadFile(filepath.Join(dir, "starts")); return string(b) }
	waitFor(t, "both start-up builds", func() bool { return strings.Count(starts(), "\n") == 2 })
	src.send(t, filepath.Join(dir, "edited.py"))
	waitFor(t, "edited's new build", func() bool { return strings.Contains(out.String(), "edited: ") })
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "slow's build", func() bool { return strings.Contains(out.String(), "slow: ") })
	cancel()
	<-done
	lines := strings.Split(strings.TrimSpace(starts()), "\n")
	if len(lines) != 3 || !strings.Contains(starts(), "edited 2\n") {
		t.Errorf("builds started: %q; want slow and edited once each for cycle 1, and edited again for cycle 2", lines)
	}
	var summary []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, " → ") {
			summary = append(summary, l)
		}
	}
	if len(summary) != 2 || !strings.HasPrefix(summary[0], "edited: edited.py changed → build ") || !strings.HasPrefix(summary[1], "slow: start-up → build ") {
		t.Errorf("summary lines %q; want edited's (cycle 2) then slow's (cycle 1)", summary)
	}
}

// TestWarmTargetsKeepTheirWorkers: warm workers are per target. Two warm
// targets build in two workers, one each (two pids), and each target's
// builds after the first run warm in its own worker, cycle after cycle;
// quitting the loop leaves no worker process, by pid.
func TestWarmTargetsKeepTheirWorkers(t *testing.T) {
	testsupport.Python3(t)
	dir := t.TempDir()
	build := "import os, sys\nprint('pid', sys.argv[1], os.getpid())\nopen(sys.argv[1] + '.gds', 'w').write('x')\n"
	if err := os.WriteFile(filepath.Join(dir, "build.py"), []byte(build), 0o644); err != nil {
		t.Fatal(err)
	}
	target := func(name string) Target {
		return Target{Name: name, Command: []string{"python3", "build.py", name}, Output: filepath.Join(dir, name+".gds"), Warm: true}
	}
	h := start(t, "", func(o *Options) {
		o.Targets = []Target{target("a"), target("b")}
		o.Runner.Dir = dir
		o.WarmRoots = []string{dir}
		o.Root = dir
		o.Jobs = 2
	})
	const cycles = 3
	summary := regexp.MustCompile(`(?m)^(\w+): .* → build .* ok \((new worker|warm)\)`)
	builds := func(name string) (modes []string) {
		for _, m := range summary.FindAllStringSubmatch(h.out.String(), -1) {
			if m[1] == name {
				modes = append(modes, m[2])
			}
		}
		return modes
	}
	for c := 1; c <= cycles; c++ {
		if c > 1 {
			h.src.send(t, filepath.Join(dir, "build.py"))
		}
		waitFor(t, fmt.Sprintf("cycle %d's builds", c), func() bool { return len(builds("a")) >= c && len(builds("b")) >= c })
	}
	out := h.out.String()
	for _, name := range []string{"a", "b"} {
		if got, want := builds(name), []string{"new worker", "warm", "warm"}; !slices.Equal(got, want) {
			t.Errorf("%s's builds ran %q, want %q\n%s", name, got, want, out)
		}
	}
	workers := map[string]string{} // target -> worker pid
	for _, m := range regexp.MustCompile(`pid (\w+) (\d+)`).FindAllStringSubmatch(out, -1) {
		if was, ok := workers[m[1]]; ok && was != m[2] {
			t.Errorf("target %s built in worker %s, then in %s; want one worker per target\n%s", m[1], was, m[2], out)
		}
		workers[m[1]] = m[2]
	}
	if len(workers) != 2 || workers["a"] == workers["b"] {
		t.Fatalf("workers by target %v; want two, one each\n%s", workers, out)
	}
	h.stop()
	for name, p := range workers {
		pid, _ := strconv.Atoi(p)
		if !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			t.Errorf("%s's warm worker (pid %d) outlived the loop", name, pid)
		}
	}
}

// TestJobsWaitingForEachOtherGoOn: when the layouts of two targets come to
// place each other between two plans, so that a job of each waits for the
// other's, the oldest builds first and both end.
func TestJobsWaitingForEachOtherGoOn(t *testing.T) {
	dir := t.TempDir()
	var out testsupport.Buffer
	script := `echo "$LYWATCH_TARGET $LYWATCH_CYCLE" >> log
if [ "$LYWATCH_TARGET" = a ] && [ "$LYWATCH_CYCLE" = 1 ]; then sleep 1000; fi; touch "$LYWATCH_TARGET.gds"`
	target := func(name string) Target {
		return Target{Name: name, Command: []string{"sh", "-c", script}, Output: filepath.Join(dir, name+".gds")}
	}
	src := newFakeSource()
	o := Options{
		Source: src, Targets: []Target{target("a"), target("b")},
		Runner: &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out, Grace: time.Second},
		Out:    &out, Root: dir, Jobs: 2, Logf: func(string, ...any) {},
		Hooks: Hooks{Plan: func(_ context.Context, c *Cycle) (*Plan, error) {
			if c.Initial {
				return &Plan{Targets: []string{"a", "b"}, Uses: map[string][]string{"b": {"a"}}}, nil
			}
			return &Plan{Targets: []string{"a"}, Reached: []string{"a"}, Uses: map[string][]string{"a": {"b"}}}, nil
		}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { Run(ctx, o); close(done) }()
	log := func() string { b, _ := os.ReadFile(filepath.Join(dir, "log")); return string(b) }
	waitFor(t, "a's first build", func() bool { return strings.Contains(log(), "a 1\n") })
	src.send(t, filepath.Join(dir, "a.py"))
	waitFor(t, "both built", func() bool { return strings.Count(out.String(), " ok → ") == 2 })
	cancel()
	<-done
	if got := log(); got != "a 1\nb 1\na 2\n" {
		t.Errorf("builds started %q, want a (stopped), then b of cycle 1, then a of cycle 2", got)
	}
}
