package project

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lywatch/lywatch/config"
)

func write(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func resolve(t *testing.T, cfg *config.Config, o Options) *Project {
	t.Helper()
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	p, err := Resolve(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolve(t *testing.T) {
	repo := t.TempDir()
	write(t, filepath.Join(repo, ".git/HEAD"), "")
	pdk := filepath.Join(repo, "pdk")
	write(t, filepath.Join(pdk, "build.py"), "")
	cfg := config.Default()
	cfg.Dir, cfg.Watch = pdk, []string{pdk}
	cfg.Command = []string{"klayout", "-b", "-r", "build.py"}
	p := resolve(t, cfg, Options{})
	if p.Root != repo || p.Sources != pdk || p.SessionDir != filepath.Join(repo, "build", "session") {
		t.Errorf("root %s, sources %s, session %s", p.Root, p.Sources, p.SessionDir)
	}
	if len(p.Targets) != 1 || p.Targets[0].Key() != DefaultTarget || !reflect.DeepEqual(p.Targets[0].Entry, []string{filepath.Join(pdk, "build.py")}) {
		t.Errorf("targets %+v: want the default target with build.py as its entry", p.Targets)
	}

	// Watching a tree elsewhere: the sources, the root and the session are
	// that tree's.
	elsewhere := t.TempDir()
	cfg.Dir, cfg.Watch = elsewhere, []string{pdk}
	p = resolve(t, cfg, Options{})
	if p.Sources != pdk || p.Root != repo {
		t.Errorf("watching %s from %s: sources %s, root %s", pdk, elsewhere, p.Sources, p.Root)
	}

	// The environment beats the configuration; a flag beats both.
	cfg.SessionDir = filepath.Join(repo, "cfg-session")
	p = resolve(t, cfg, Options{Getenv: func(string) string { return "/tmp/env-session" }})
	if p.SessionDir != "/tmp/env-session" {
		t.Errorf("session dir %s, want the environment's", p.SessionDir)
	}
	cfg.SessionDirFromFlag = true
	p = resolve(t, cfg, Options{Getenv: func(string) string { return "/tmp/env-session" }})
	if p.SessionDir != cfg.SessionDir {
		t.Errorf("session dir %s, want the flag's", p.SessionDir)
	}
}

// The command after -- wins over every target's own.
func TestCommandAfterDashDashWins(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Dir, cfg.Watch = dir, []string{dir}
	cfg.Targets = []config.Target{{Name: "a", Command: []string{"repo", "cmd"}}, {Name: "b"}}
	cfg.Command = []string{"make", "b"}
	p := resolve(t, cfg, Options{})
	if !reflect.DeepEqual(p.Targets[0].Command, []string{"repo", "cmd"}) || !reflect.DeepEqual(p.Targets[1].Command, []string{"make", "b"}) {
		t.Errorf("from the configuration: %+v", p.Targets)
	}
	cfg.Command, cfg.CommandFromFlags = []string{"echo", "mine"}, true
	p = resolve(t, cfg, Options{})
	for _, tg := range p.Targets {
		if !reflect.DeepEqual(tg.Command, []string{"echo", "mine"}) {
			t.Errorf("target %s runs %q; the command after -- must win", tg.Name, tg.Command)
		}
	}
}

// Each target is warm as its table (or the top level) says; --warm makes
// every target warm, and --warm=false none.
func TestWarmTargets(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Dir, cfg.Watch = dir, []string{dir}
	cfg.Targets = []config.Target{{Name: "a", Command: []string{"x"}, Warm: true}, {Name: "b", Command: []string{"y"}}}
	warm := func() []bool {
		p := resolve(t, cfg, Options{})
		return []bool{p.Targets[0].Warm, p.Targets[1].Warm}
	}
	if got := warm(); !reflect.DeepEqual(got, []bool{true, false}) {
		t.Errorf("from the tables: %v", got)
	}
	cfg.Warm, cfg.WarmFromFlag = true, true
	if got := warm(); !reflect.DeepEqual(got, []bool{true, true}) {
		t.Errorf("with --warm: %v", got)
	}
	cfg.Warm = false
	if got := warm(); !reflect.DeepEqual(got, []bool{false, false}) {
		t.Errorf("with --warm=false: %v", got)
	}
	single := config.Default()
	single.Dir, single.Watch, single.Command, single.Warm = dir, []string{dir}, []string{"python3", "b.py"}, true
	if p := resolve(t, single, Options{}); !p.Targets[0].Warm {
		t.Errorf("the single target of a warm configuration is not warm")
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		dir, p string
		in     bool
	}{
		{"/a", "/a", true}, {"/a", "/a/b", true}, {"/a", "/ab", false}, {"/a", "/", false}, {"/a/b", "/a/b/../c", false},
	} {
		if got := Within(tc.dir, filepath.Clean(tc.p)); got != tc.in {
			t.Errorf("Within(%s, %s) = %v", tc.dir, tc.p, got)
		}
	}
}

// Each target carries its reference layout: the single target the
// top-level key's, named targets their own.
func TestReference(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Dir, cfg.Watch = dir, []string{dir}
	cfg.Command, cfg.Output, cfg.Reference = []string{"make"}, "out.gds", "ref/out.gds"
	if p := resolve(t, cfg, Options{}); len(p.Targets) != 1 || p.Targets[0].Reference != "ref/out.gds" {
		t.Errorf("single target: %+v", p.Targets)
	}
	cfg.Targets = []config.Target{{Name: "a", Reference: "ref/a.gds"}, {Name: "b"}}
	p := resolve(t, cfg, Options{})
	if p.Targets[0].Reference != "ref/a.gds" || p.Targets[1].Reference != "" {
		t.Errorf("named targets: %+v", p.Targets)
	}
}
