// Package project resolves what lywatch works on. From the settings (the
// configuration file and the flags, see package config) it derives the
// project directory, the root the session's paths are relative to, the
// session directory, the directory the dependency graph scans and the build
// targets. Every subcommand asks it, so the live loop, `lywatch graph`,
// `why` and `session show` see the same project from any directory inside
// it.
package project

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/session"
)

// DefaultTarget is the name the session and the graph give the single
// unnamed target.
const DefaultTarget = session.DefaultTarget

// Meta keys a session manifest carries so that a subcommand run without
// a configuration file finds the project the loop watched.
const (
	MetaDir     = "project_dir" // the project directory, relative to the root
	MetaSources = "sources_dir" // the scanned directory, relative to the root
)

// Project is one resolved project.
type Project struct {
	// Config holds the settings as read and laid over by flags.
	Config *config.Config
	// Dir is the project directory: the configuration file's, else the
	// current one (or the one the session recorded, see Options.Adopt).
	// Builds run there, and summary lines show paths relative to it.
	Dir string
	// Root is the git root above Sources, else Sources: the session's
	// paths are relative to it, so a moved checkout keeps its session.
	Root string
	// Sources is the directory whose Python sources the dependency graph
	// scans and the session tracks: Dir when every watched root is inside
	// it, else the watched roots' deepest common directory.
	Sources string
	// SessionDir is where the session lives; "" with no session.
	SessionDir string
	// SessionFrom says where SessionDir came from.
	SessionFrom session.Source
	// Targets are the builds, in configuration order.
	Targets []Target
	// Adopted is true when Dir is the one a session recorded (a subcommand
	// run without a configuration file, elsewhere in the checkout).
	Adopted bool
}

// Target is one build.
type Target struct {
	// Name identifies the target; "" for the single unnamed one.
	Name string
	// Command is the program and its arguments.
	Command []string
	// Output is the layout the build writes ("" = none known).
	Output string
	// Entry lists the source files the build starts from: given, or the
	// .py arguments of the command. With none, every edit reaches it.
	Entry []string
	// Timeout stops the build when it runs longer (0: no limit).
	Timeout time.Duration
	// Warm runs the builds in a warm worker that keeps the interpreter.
	Warm bool
	// Reference is the layout `lywatch check` compares Output with ("":
	// none).
	Reference string
	// Home is the target as configured when its output was redirected
	// into a folder of its own (lywatch check, --once beside a loop): the
	// session knows the target by what Home says it builds.
	Home *Target
}

// Key is the name the session and the graph know the target by.
func (t Target) Key() string {
	if t.Name == "" {
		return DefaultTarget
	}
	return t.Name
}

// Options tune Resolve.
type Options struct {
	// Getenv reads the environment (LYWATCH_SESSION_DIR); nil: os.Getenv.
	Getenv func(string) string
	// Adopt, for subcommands that inspect rather than build (graph, why,
	// session show): when no configuration file applies and no root was
	// given, take the project directory the session under this checkout
	// recorded, so that they answer from the repository root as from the
	// project directory.
	Adopt bool
}

// Resolve derives the project from its settings.
func Resolve(cfg *config.Config, o Options) (*Project, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if cfg.Dir == "" {
		return nil, errors.New("project: no project directory")
	}
	p := &Project{Config: cfg, Dir: filepath.Clean(cfg.Dir)}
	// The sources decide the checkout: lywatch run from a build folder
	// with --watch ../pdk keeps the session of ../pdk's checkout.
	p.Sources = sourcesDir(p.Dir, cfg.Watch)
	p.Root = session.FindRoot(p.Sources)
	if !cfg.NoSession {
		flagDir, configDir := "", cfg.SessionDir
		if cfg.SessionDirFromFlag {
			flagDir, configDir = cfg.SessionDir, ""
		}
		p.SessionDir, p.SessionFrom = session.ResolveDir(flagDir, o.Getenv(session.EnvDir), configDir, p.Sources)
	}
	if o.Adopt && cfg.File == "" {
		p.adopt()
	}
	p.Targets = targets(cfg, p.Dir)
	return p, nil
}

// adopt takes the project directory a session recorded when the current
// directory lies within the checkout it belongs to.
func (p *Project) adopt() {
	if p.SessionDir == "" {
		return
	}
	st, err := session.OpenReadOnly(p.SessionDir, session.Options{Root: p.Root})
	if err != nil {
		return
	}
	defer st.Close()
	names, err := st.Targets()
	if err != nil {
		return
	}
	for _, n := range names {
		m, err := st.Load(n)
		if err != nil || m == nil || m.Meta[MetaDir] == "" {
			continue
		}
		dir := filepath.Join(p.Root, filepath.FromSlash(m.Meta[MetaDir]))
		if !Within(p.Root, dir) {
			continue
		}
		p.Dir, p.Sources, p.Adopted = dir, dir, true
		if s := m.Meta[MetaSources]; s != "" {
			if src := filepath.Join(p.Root, filepath.FromSlash(s)); Within(p.Root, src) {
				p.Sources = src
			}
		}
		return
	}
}

// Meta returns the manifest entries that record the project's directories.
func (p *Project) Meta() map[string]string {
	m := map[string]string{}
	if r, err := session.RelPath(p.Root, p.Dir); err == nil {
		m[MetaDir] = r
	}
	if r, err := session.RelPath(p.Root, p.Sources); err == nil {
		m[MetaSources] = r
	}
	return m
}

// Target returns the target named name ("" or "default" for the single
// unnamed one).
func (p *Project) Target(name string) (Target, bool) {
	for _, t := range p.Targets {
		if t.Name == name || t.Key() == name {
			return t, true
		}
	}
	return Target{}, false
}

// targets turns the settings into the builds: the [[targets]] tables, or
// the one command and output. A command given after -- wins over every
// target's own.
func targets(cfg *config.Config, dir string) []Target {
	if len(cfg.Targets) == 0 {
		if len(cfg.Command) == 0 {
			return nil
		}
		return []Target{{Command: cfg.Command, Output: cfg.Output, Entry: entries(dir, cfg.Entry, cfg.Command), Timeout: cfg.Timeout, Warm: cfg.Warm, Reference: cfg.Reference}}
	}
	out := make([]Target, 0, len(cfg.Targets))
	for _, t := range cfg.Targets {
		cmd := t.Command
		if len(cmd) == 0 || cfg.CommandFromFlags {
			cmd = cfg.Command
		}
		entry := t.Entry
		if cfg.CommandFromFlags && len(t.Command) > 0 {
			entry = entries(dir, nil, cmd)
		}
		warm := t.Warm
		if cfg.WarmFromFlag {
			warm = cfg.Warm
		}
		out = append(out, Target{Name: t.Name, Command: cmd, Output: t.Output, Entry: entry, Timeout: t.Timeout, Warm: warm, Reference: t.Reference})
	}
	return out
}

// entries returns a target's entry files: those given, else the arguments
// of its command that name existing .py files (klayout -b -r build.py,
// python3 chip.py).
func entries(dir string, given, command []string) []string {
	if len(given) > 0 {
		return given
	}
	var out []string
	for _, a := range command {
		if !strings.HasSuffix(a, ".py") {
			continue
		}
		p := a
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// sourcesDir is Dir when every watched root is inside it, else the
// watched roots' deepest common directory (lywatch run from a build folder
// with --watch ../pdk follows ../pdk).
func sourcesDir(dir string, watch []string) string {
	common := ""
	for _, w := range watch {
		w, err := filepath.Abs(w)
		if err != nil {
			return dir
		}
		if common == "" {
			common = w
		}
		for !Within(common, w) {
			common = filepath.Dir(common)
		}
	}
	if common == "" || Within(dir, common) {
		return dir
	}
	return common
}

// Within reports whether the path p is dir or below it.
func Within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}
