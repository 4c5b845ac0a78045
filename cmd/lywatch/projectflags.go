package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/project"
)

// projectFlags are the flags by which the subcommands that read a project
// (graph, why, session) find it. They lay over the configuration file as
// the live loop's flags do, and project.Resolve does the rest, so every
// subcommand sees the project the loop sees.
type projectFlags struct {
	config      string
	noConfig    bool
	root        string
	sessionDir  string
	pyRoots     listValue
	decorators  string
	granularity string
}

// listValue is a repeatable string flag.
type listValue []string

func (l *listValue) String() string     { return strings.Join(*l, ",") }
func (l *listValue) Set(s string) error { *l = append(*l, s); return nil }

// register adds the flags to fs; graph adds the dependency graph's own.
func (f *projectFlags) register(fs *flag.FlagSet, graph bool) {
	fs.StringVar(&f.config, "config", "", "read settings from `FILE` (default: lywatch.toml or pyproject.toml [tool.lywatch], searched upwards)")
	fs.BoolVar(&f.noConfig, "no-config", false, "read no configuration file")
	fs.StringVar(&f.sessionDir, "session-dir", "", "the session `DIR` (default: $LYWATCH_SESSION_DIR, the configuration, or build/session under the git root)")
	if !graph {
		return
	}
	fs.StringVar(&f.root, "root", "", "project `DIR`: every .py file under it is scanned (default: the configuration's, else the one the session recorded, else the current directory)")
	fs.Var(&f.pyRoots, "python-root", "import root `DIR` (repeatable; default the project dir and its src/)")
	fs.StringVar(&f.decorators, "decorators", "", "comma-separated decorator `NAMES` marking factories, besides cell, vcell, cell_with_module_name and schematic_cell (default: the configuration's)")
	fs.StringVar(&f.granularity, "granularity", "", "invalidation unit: `function` or file (default: the configuration's, else function)")
}

// resolve finds the project from the current directory (or --root).
func (f *projectFlags) resolve(e *env) (*project.Project, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(cwd, p)
	}
	dir := cwd
	if f.root != "" {
		dir = abs(f.root)
	}
	cfg, err := config.Load(dir, abs(f.config), f.noConfig)
	if err != nil {
		return nil, err
	}
	for _, s := range cfg.Skipped {
		fmt.Fprintf(e.stderr, "lywatch: %s\n", s)
	}
	if f.root != "" {
		cfg.Dir, cfg.Watch = dir, []string{dir}
	}
	if f.sessionDir != "" {
		cfg.SessionDir, cfg.SessionDirFromFlag = abs(f.sessionDir), true
	}
	if len(f.pyRoots) > 0 {
		cfg.PythonRoots = nil
		for _, r := range f.pyRoots {
			cfg.PythonRoots = append(cfg.PythonRoots, abs(r))
		}
	}
	if f.decorators != "" {
		cfg.Decorators = strings.Split(f.decorators, ",")
	}
	if f.granularity != "" {
		cfg.Granularity = f.granularity
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return project.Resolve(cfg, project.Options{Adopt: f.root == ""})
}

// graphFlags are the flags `lywatch graph` and `lywatch why` share: which
// project, and which layout holds the cells.
type graphFlags struct {
	project projectFlags
	layout  string
	target  string
	entries listValue
	noColor bool
}

func (f *graphFlags) register(fs *flag.FlagSet) {
	f.project.register(fs, true)
	fs.StringVar(&f.layout, "layout", "", "a built layout `FILE` (.gds, .gds.gz) whose cells join the graph")
	fs.StringVar(&f.target, "target", "", "target `NAME` of the layout (default the layout's base name)")
	fs.Var(&f.entries, "entry", "entry `FILE` of the target (repeatable)")
	fs.BoolVar(&f.noColor, "no-color", false, "no colours")
}

// layoutArg is the --layout the pipeline adds to the graph.
func (f *graphFlags) layoutArg() pipeline.Layout {
	if f.layout == "" {
		return pipeline.Layout{}
	}
	name := f.target
	if name == "" {
		name = filepath.Base(f.layout)
		for _, ext := range []string{".gz", ".gds", ".oas"} {
			name = strings.TrimSuffix(name, ext)
		}
	}
	return pipeline.Layout{Path: f.layout, Target: name, Entries: f.entries}
}
