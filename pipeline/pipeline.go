package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
	"github.com/lywatch/lywatch/watcher"
)

// Store is the session as the pipeline uses it; *session.Store is one.
type Store interface {
	// Load returns a target's manifest: (nil, nil) when there is none.
	Load(target string) (*session.Manifest, error)
	// LoadGraph returns the dependency graph saved with a manifest.
	LoadGraph(target string, m *session.Manifest) (json.RawMessage, error)
	// LayoutPath is where a target's last good layout is kept.
	LayoutPath(target string) string
	// SaveLayout keeps a target's manifest and the layout's bytes (those
	// that were hashed) as its last good build.
	SaveLayout(target string, m *session.Manifest, layout []byte) error
	// RestoreLayout makes dst hold a target's stored layout, checked
	// against its manifest before anything is written.
	RestoreLayout(ctx context.Context, target string, m *session.Manifest, dst string) error
	// LayoutBytes returns a target's stored layout, checked against its
	// manifest.
	LayoutBytes(ctx context.Context, target string, m *session.Manifest) ([]byte, error)
	// SaveDependencies records which target's layout uses which others'.
	SaveDependencies(d session.Dependencies) error
}

// Inputs is what watches the graph's inputs.
type Inputs interface {
	// Track makes exactly these files watched, beside the globs.
	Track(paths []string) error
	// AddRoot watches another directory tree.
	AddRoot(dir string) error
}

// Options configure Open.
type Options struct {
	// Project is what to work on (required).
	Project *project.Project
	// Store is the session to restore from and save to; nil keeps none.
	// OpenSession opens a project's own.
	Store Store
	// Pusher shows layouts in KLayout; nil shows nothing.
	Pusher Pusher
	// NoInitial means no build at start-up: nothing is stale until an
	// edit reaches it (a target the session serves is still shown).
	NoInitial bool
	// Rebuild builds every target at start-up, whatever the session says.
	Rebuild bool
	// Baseline is the watcher's first scan: the hex SHA-256 of every file
	// it tracks, by absolute path. A file whose hash differs from the
	// session's counts as changed since the session, whatever its stat
	// data says; the watcher reports every change after that scan, so an
	// edit made at any moment after launch is built.
	Baseline map[string]string
	// Environ is the environment the builds inherit; nil: os.Environ.
	Environ func() []string
	// Inputs, when set, is told of the files the graph reads beyond the
	// watched sources (data files the code names, editable installs
	// elsewhere), whenever the graph learns of new ones; *watcher.Watcher
	// is one.
	Inputs Inputs
	// ReadOnly reads the session and never writes it: nothing is saved
	// (lywatch check, and lywatch --once beside a loop that holds the
	// session). Store is then one opened with session.OpenReadOnly.
	ReadOnly bool
	// DiffDir, when set, turns on the diff stage (lywatch --show-diff):
	// each good build is compared with the target's previous good layout
	// by KLayout's XOR and the result shown in KLayout as a report
	// database. The folder keeps those layouts and report databases; the
	// caller makes it and removes it.
	DiffDir string
	// Logf receives warnings and one-time notes; nil drops them.
	Logf func(format string, args ...any)
	// Stop is called when the pipeline cannot go on: another lywatch took
	// the session (its folder was deleted and made again). The caller
	// ends the loop with the error.
	Stop func(error)
	// Trace gives every build a trace channel (see trace.go); nil gives
	// none. Close removes it.
	Trace *TraceOptions
}

// Pipeline holds what the stages share between cycles. Its methods may be
// called from several goroutines.
type Pipeline struct {
	proj  *project.Project
	store Store
	push  Pusher
	gopts depgraph.Options
	logf  func(string, ...any)
	stop  func(error)
	base  map[string]string // Options.Baseline
	env   func() []string   // Options.Environ
	in    Inputs            // Options.Inputs
	// tracked and roots are what Inputs was last told.
	tracked []string
	roots   map[string]bool

	keyMu sync.Mutex
	built map[string]*buildKey // target key -> what it is built with now
	// readOnly: the session is read, never saved into.
	readOnly bool
	// diffDir is Options.DiffDir.
	diffDir string

	graphOnce sync.Once // LoadGraph

	mu    sync.Mutex
	graph *depgraph.Graph // nil when the sources could not be scanned
	files []session.File  // tracked sources, as of the last save
	// changes are the files changed since the last save, by root-relative
	// path ("" hash: deleted).
	changes map[string]session.File
	// pending holds, per target key, the factories invalidated since the
	// target's last good build, and why it is pending. A target stays
	// until a build of it succeeds: the graph has absorbed the edit and
	// would not report it again.
	pending map[string]*pendingTarget
	// gen counts plans: marks in pending carry the plan that made them,
	// and a good build settles only the marks of its plan and earlier.
	gen int64
	// settled counts each target's good builds read; saved is the count
	// of the one whose layout the session holds (see reusable).
	settled, saved map[string]int64
	// layouts are the last good layouts' cells (deep hashes) and top
	// cells, per target key: what the build order and the cell counts
	// come from.
	// carried are the changes since the pending targets' last good
	// builds: a build is told of every file changed since, also those of
	// cycles whose builds failed or stopped.
	carried   watcher.ChangeSet
	layouts   map[string]layoutState
	manifests map[string]*session.Manifest // as restored, per target key
	lastShown map[string]string            // target key -> the layout last pushed
	initial   *loop.Plan                   // the start-up cycle's plan
	fresh     map[string]bool              // target keys the session serves

	tracer *tracer // nil: builds trace nothing
}

// pendingTarget is one target waiting for a good build.
type pendingTarget struct {
	factories map[string]int64 // invalidated factory -> the plan that marked it
	all       int64            // the plan that marked the whole target (0: none did)
	marked    int64            // the latest plan that marked it
	failed    bool             // a build of it failed or stopped since it was marked
}

// layoutState is what the pipeline keeps of a target's last good layout.
type layoutState struct {
	deep  map[string]string // cell -> deep hash
	local map[string]string // cell -> local hash
	tops  []string
}

// OpenSession opens a project's session for the live loop, taking its lock
// (a second lywatch on the same session is refused with who holds it). It
// returns nil and no error when the project keeps no session.
func OpenSession(p *project.Project, args []string) (*session.Store, error) {
	if p.SessionDir == "" {
		return nil, nil
	}
	return session.Open(p.SessionDir, session.Options{Root: p.Root, Args: args})
}

// Open restores the project from its session and decides which targets
// the cached layouts serve. Anything unreadable is one warning and a
// rebuild, never a stale push.
func Open(ctx context.Context, o Options) (*Pipeline, error) {
	if o.Project == nil {
		return nil, errors.New("pipeline: no project")
	}
	p := &Pipeline{
		proj: o.Project, store: o.Store, push: o.Pusher, logf: o.Logf, stop: o.Stop, base: o.Baseline, env: o.Environ, built: map[string]*buildKey{}, in: o.Inputs, roots: map[string]bool{},
		readOnly: o.ReadOnly, diffDir: o.DiffDir,
		changes: map[string]session.File{}, pending: map[string]*pendingTarget{},
		layouts: map[string]layoutState{}, manifests: map[string]*session.Manifest{}, fresh: map[string]bool{},
		settled: map[string]int64{}, saved: map[string]int64{},
	}
	if p.logf == nil {
		p.logf = func(string, ...any) {}
	}
	if p.stop == nil {
		p.stop = func(error) {}
	}
	if isNilStore(p.store) {
		p.store = nil
	}
	if o.Trace != nil {
		p.tracer = &tracer{opts: *o.Trace}
	}
	gopts, err := GraphOptions(o.Project)
	if err != nil {
		return nil, err
	}
	p.gopts = gopts
	if !o.NoInitial {
		for _, t := range o.Project.Targets {
			p.markPending(t.Key(), nil) // until a good build, or a fresh cache, says otherwise
		}
	}
	if p.store != nil && !o.Rebuild {
		p.restore(ctx)
	}
	switch {
	case o.Rebuild:
		p.initial = &loop.Plan{Targets: p.loopNames(p.order(p.keys()))}
	case o.NoInitial && p.initial != nil:
		p.initial.Targets = []string{} // show what the session serves, build nothing
	}
	return p, nil
}

// isNilStore reports whether s is nil or a nil pointer in an interface.
func isNilStore(s Store) bool {
	st, ok := s.(*session.Store)
	return s == nil || ok && st == nil
}

// GraphOptions maps a project onto the dependency graph's options.
func GraphOptions(p *project.Project) (depgraph.Options, error) {
	gran, err := depgraph.ParseGranularity(p.Config.Granularity)
	if err != nil {
		return depgraph.Options{}, err
	}
	o := depgraph.Options{Dir: p.Sources, Roots: p.Config.PythonRoots, Decorators: p.Config.Decorators, Granularity: gran,
		MaxFileSize: p.Config.MaxFileSize, ExcludeGlobs: excludeGlobs(p)}
	for _, g := range p.Config.Include {
		if !strings.HasSuffix(g, ".py") {
			o.Include = append(o.Include, g) // data files: they join the graph
		}
	}
	for _, t := range p.Targets {
		o.Targets = append(o.Targets, graphTarget(t))
	}
	return o, nil
}

func graphTarget(t project.Target) depgraph.Target {
	cmd := ""
	for i, a := range t.Command {
		if i > 0 {
			cmd += " "
		}
		cmd += a
	}
	return depgraph.Target{Name: t.Key(), Command: cmd, Output: t.Output, Entries: t.Entry}
}

// Targets returns the project's targets for the loop, in build order.
func (p *Pipeline) Targets() []loop.Target {
	byKey := map[string]project.Target{}
	for _, t := range p.proj.Targets {
		byKey[t.Key()] = t
	}
	var out []loop.Target
	for _, k := range p.order(p.keys()) {
		t := byKey[k]
		out = append(out, loop.Target{Name: t.Name, Command: t.Command, Output: t.Output, Entry: t.Entry, Timeout: t.Timeout, Warm: t.Warm})
	}
	return out
}

// ServesCache reports whether the start-up cycle shows a layout the
// session serves: the loop must run it even with no build at start-up.
func (p *Pipeline) ServesCache() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.initial != nil && len(p.initial.Cached) > 0
}

// Graph returns the live dependency graph (nil when the sources could
// not be scanned), loading it on first use.
func (p *Pipeline) Graph(ctx context.Context) *depgraph.Graph {
	p.LoadGraph(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.graph
}

// keys returns the target keys in configuration order.
func (p *Pipeline) keys() []string {
	out := make([]string, len(p.proj.Targets))
	for i, t := range p.proj.Targets {
		out[i] = t.Key()
	}
	return out
}

// loopNames turns target keys back into the loop's names (the one unnamed
// target is "default" to the session and graph).
func (p *Pipeline) loopNames(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if t, ok := p.proj.Target(k); ok {
			out = append(out, t.Name)
		}
	}
	return out
}

// WarmRoots are the directories of the project's own Python code, for
// warm workers (loop.Options.WarmRoots): the scanned sources and the
// Python roots.
func (p *Pipeline) WarmRoots() []string {
	return append([]string{p.gopts.Dir}, p.gopts.Roots...)
}

// markPending records factories as invalidated for a target until its next
// good build of the current plan or a later one. A nil list marks the
// whole target (no cell of its last layout may be reused). The caller
// holds p.mu or owns p alone.
func (p *Pipeline) markPending(target string, factories []string) {
	pt := p.pending[target]
	if pt == nil {
		pt = &pendingTarget{factories: map[string]int64{}}
		p.pending[target] = pt
	}
	pt.marked = p.gen
	if factories == nil {
		pt.all = p.gen
		if pt.all == 0 {
			pt.all = -1 // marked before the first plan
		}
	}
	for _, f := range factories {
		pt.factories[f] = p.gen
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
