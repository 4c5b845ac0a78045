package depgraph

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

type nodeKind uint8

const (
	kindModule nodeKind = iota + 1
	kindDef
	kindCell
	kindTarget
)

type edgeKind uint8

const (
	edgeInModule edgeKind = iota + 1 // a def runs in its module's namespace
	edgeRef                          // a def or module code references a def or module
	edgeImport                       // module code imports a module
	edgeMadeBy                       // a cell was made by a factory
	edgeContains                     // a cell contains a cell; a target contains a cell
	edgeUsesCell                     // a factory's cells contain a cell
	edgeEntry                        // a target runs an entry file's code
)

func (k edgeKind) layout() bool { return k == edgeMadeBy || k == edgeContains || k == edgeUsesCell }

// node is one vertex: a module's top-level code, a top-level def or class,
// a cell of a target's layout, or a target. deps are what it depends on,
// rdeps what depends on it.
type node struct {
	id     string
	kind   nodeKind
	name   string // module name, qualified def name, cell name, target name
	short  string // a def's own name
	path   string // the file of a module or def
	module string
	target string // the target of a cell
	def    *Def
	deps   map[*node]edgeKind
	rdeps  map[*node]edgeKind
}

func (n *node) factory() bool { return n.def != nil && n.def.Factory }

func (n *node) label() string {
	switch n.kind {
	case kindModule:
		return "module " + n.name
	case kindDef:
		switch {
		case n.factory():
			return "factory " + n.short + " (" + n.name + ")"
		case n.def.Kind == "class":
			return "class " + n.name
		}
		return "function " + n.name
	case kindCell:
		return "cell " + n.name
	}
	return "target " + n.name
}

func moduleID(mod string) string        { return "mod:" + mod }
func defID(mod, name string) string     { return "def:" + mod + ":" + name }
func cellID(target, name string) string { return "cell:" + target + ":" + name }
func targetID(name string) string       { return "target:" + name }

// CellInfo is one cell of a built layout, as the gds package reads it.
type CellInfo struct {
	Name     string   `json:"name"`
	Children []string `json:"children,omitzero"`
	Factory  string   `json:"factory,omitzero"` // kfactory:settings:function_name, "" if absent
}

// Graph is the dependency graph of a project. Its methods may be called
// from several goroutines; each holds the graph's lock while it runs.
type Graph struct {
	mu      sync.Mutex
	opts    Options
	dir     string   // absolute Dir
	roots   []string // absolute import roots, longest first
	files   map[string]*FileInfo
	modules map[string]string // module -> path
	pkgs    map[string]bool   // every package prefix of a module (namespace packages too)
	layouts map[string][]CellInfo
	nodes   map[string]*node
	facts   map[string][]*node          // factory short name -> factory defs
	cycles  [][]string                  // import cycles, nil until computed
	defs    map[string]map[string]*node // module -> def name -> node
	subs    map[string]map[string]bool  // module or package -> names of its submodules
	// layoutNodes are the cell and target nodes, rebuilt by linkLayouts.
	layoutNodes []*node
	idx         *fileIndex // built by linkAll, kept in step; see index
	// reads is each linked file's footprint: the modules its name
	// resolution consulted (see consult); the index holds the reverse.
	reads       map[string][]string
	recording   bool                // linkCode is recording a footprint
	reading     map[string]struct{} // what it recorded so far
	readingSelf string              // the module of the file being linked
	subKey      []byte              // scratch for consultSub
}

// Scan reads every .py file under opts.Dir and builds the graph. Files
// that do not scan are recorded (see Errors) and the rest goes on; the
// error is for a directory that cannot be read or a cancelled context.
func Scan(ctx context.Context, opts Options) (*Graph, error) {
	g, err := newGraph(opts)
	if err != nil {
		return nil, err
	}
	paths, err := g.walk(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := g.scanAll(ctx, paths)
	if err != nil {
		return nil, err
	}
	for _, fi := range infos {
		if fi != nil {
			g.files[fi.Path] = fi
		}
	}
	g.linkAll()
	return g, nil
}

// scanAll scans files on GOMAXPROCS workers; files that cannot be read are
// left out (nil).
func (g *Graph) scanAll(ctx context.Context, paths []string) ([]*FileInfo, error) {
	out := make([]*FileInfo, len(paths))
	workers := min(runtime.GOMAXPROCS(0), len(paths))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scratch := new(tokenizer)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(paths) || ctx.Err() != nil {
					return
				}
				out[i], _ = g.scanFile(paths[i], scratch)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func newGraph(opts Options) (*Graph, error) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("depgraph: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("depgraph: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("depgraph: %s is not a directory", dir)
	}
	if opts.Decorators == nil {
		opts.Decorators = DefaultDecorators()
	}
	if opts.Exclude == nil {
		opts.Exclude = DefaultExclude()
	}
	g := &Graph{opts: opts, dir: dir, files: map[string]*FileInfo{}, layouts: map[string][]CellInfo{}}
	roots := opts.Roots
	if len(roots) == 0 {
		roots = []string{"."}
		if st, err := os.Stat(filepath.Join(dir, "src")); err == nil && st.IsDir() {
			roots = append(roots, "src")
		}
	}
	for _, r := range roots {
		if !filepath.IsAbs(r) {
			r = filepath.Join(dir, r)
		}
		g.roots = append(g.roots, filepath.Clean(r))
	}
	sort.Slice(g.roots, func(i, j int) bool { return len(g.roots[i]) > len(g.roots[j]) })
	return g, nil
}

func (g *Graph) excluded(name string) bool {
	if strings.HasPrefix(name, ".") && name != "." {
		return true
	}
	for _, x := range g.opts.Exclude {
		if x == name {
			return true
		}
	}
	return false
}

// SourceFiles returns the absolute paths of the .py files Scan would read
// with opts now, sorted, without reading them. Callers use it to find files
// added while nothing was watching.
func SourceFiles(ctx context.Context, opts Options) ([]string, error) {
	g, err := newGraph(opts)
	if err != nil {
		return nil, err
	}
	return g.SourceFiles(ctx)
}

// SourceFiles returns the absolute paths of the .py files a scan of the
// graph's directory would read now, sorted.
func (g *Graph) SourceFiles(ctx context.Context) ([]string, error) {
	paths, err := g.walk(ctx)
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	return paths, nil
}

// walk lists the .py files under Dir, as absolute paths.
func (g *Graph) walk(ctx context.Context) ([]string, error) { return g.walkDir(ctx, g.dir) }

// walkDir lists the .py files under root (Dir or a directory in it), as
// absolute paths, skipping excluded directories.
func (g *Graph) walkDir(ctx context.Context, root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil
		}
		if d.IsDir() {
			if p != root && g.excluded(d.Name()) {
				return filepath.SkipDir
			}
			return ctx.Err()
		}
		if strings.HasSuffix(p, ".py") && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("depgraph: scan %s: %w", root, err)
	}
	return out, nil
}

// rel turns a path (absolute or relative to Dir) into the slash path
// relative to Dir, or "" when it lies outside.
func (g *Graph) rel(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(g.dir, p)
	}
	r, err := filepath.Rel(g.dir, filepath.Clean(p))
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(r)
}

// moduleName gives the dotted module of an absolute file path.
func (g *Graph) moduleName(abs string) string {
	base := g.dir
	for _, r := range g.roots {
		if strings.HasPrefix(abs, r+string(filepath.Separator)) {
			base = r
			break
		}
	}
	rel, _ := filepath.Rel(base, abs)
	rel = strings.TrimSuffix(filepath.ToSlash(rel), ".py")
	rel = strings.TrimSuffix(rel, "/__init__")
	if rel == "__init__" {
		rel = filepath.Base(base)
	}
	return strings.ReplaceAll(rel, "/", ".")
}

// scanFile reads and scans one file (absolute path). A missing file gives
// (nil, fs.ErrNotExist).
func (g *Graph) scanFile(abs string, scratch *tokenizer) (*FileInfo, error) {
	src, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	rel := g.rel(abs)
	fi, err := scanSource(rel, g.moduleName(abs), src, g.opts.Decorators, scratch)
	return fi, err
}

// Errors lists the files that did not scan, as "path:line: message".
func (g *Graph) Errors() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, fi := range g.files {
		if fi.Err != "" {
			out = append(out, fi.Err)
		}
	}
	sort.Strings(out)
	return out
}

// Files returns the scanned files, sorted by path.
func (g *Graph) Files() []*FileInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sortedFiles()
}

func (g *Graph) sortedFiles() []*FileInfo {
	out := make([]*FileInfo, 0, len(g.files))
	for _, fi := range g.files {
		out = append(out, fi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Dir returns the absolute project directory.
func (g *Graph) Dir() string { return g.dir }

// Targets returns the configured targets.
func (g *Graph) Targets() []Target { return append([]Target(nil), g.opts.Targets...) }
