package depgraph

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bmatcuk/doublestar/v4"
)

type nodeKind uint8

const (
	kindModule nodeKind = iota + 1
	kindDef
	kindMethod
	kindBinding
	kindFile
	kindPackage
	kindCell
	kindTarget
)

type edgeKind uint8

const (
	edgeInModule edgeKind = iota + 1 // a def runs in its module's namespace
	edgeRef                          // a def or module code references a def or module
	edgeImport                       // module code imports a module or an installed package
	edgeMadeBy                       // a cell was made by a factory
	edgeContains                     // a cell contains a cell; a target contains a cell
	edgeUsesCell                     // a factory's cells contain a cell
	edgeEntry                        // a target runs an entry file's code
	edgeReads                        // code names a data file
	edgeMayRead                      // every factory and target may read a data file no code names (in invalidations only)
)

func (k edgeKind) layout() bool { return k == edgeMadeBy || k == edgeContains || k == edgeUsesCell }

// node is one vertex: a module's top-level code, a top-level def or class,
// a method of a class, a module-level binding, a data file, an installed
// package, a cell of a target's layout, or a target. deps are what it
// depends on, rdeps what depends on it.
type node struct {
	id     string
	kind   nodeKind
	name   string // module name, qualified def name, file path, package, cell name, target name
	short  string // a def's, method's ("Class.method") or binding's own name
	path   string // the file of a module, def, method or binding; a data file's path
	module string
	target string   // the target of a cell
	def    *Def     // a def, class or method
	bind   *Binding // a binding
	deps   map[*node]edgeKind
	rdeps  map[*node]edgeKind
	// uses are the name-index keys this node is registered under as a
	// user (see names.go), so that they can be dropped with its edges.
	uses []string
}

func (n *node) factory() bool { return n.kind == kindDef && n.def != nil && n.def.Factory }

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
	case kindMethod:
		return "method " + n.name
	case kindBinding:
		return "name " + n.name
	case kindFile:
		return "file " + n.name
	case kindPackage:
		return "package " + n.name
	case kindCell:
		return "cell " + n.name
	}
	return "target " + n.name
}

func moduleID(mod string) string        { return "mod:" + mod }
func defID(mod, name string) string     { return "def:" + mod + ":" + name }
func fileID(path string) string         { return "file:" + path }
func packageID(top string) string       { return "pkg:" + top }
func cellID(target, name string) string { return "cell:" + target + ":" + name }
func targetID(name string) string       { return "target:" + name }

// CellInfo is one cell of a built layout, as the gds package reads it.
type CellInfo struct {
	Name     string   `json:"name"`
	Children []string `json:"children,omitzero"`
	Factory  string   `json:"factory,omitzero"` // as gds.FactoryFromMeta reads it, "" if absent
}

// Graph is the dependency graph of a project. Its methods may be called
// from several goroutines; each holds the graph's lock while it runs.
type Graph struct {
	mu      sync.Mutex
	opts    Options
	dir     string    // absolute Dir
	roots   []string  // absolute import roots, longest first
	ext     []extRoot // editable installs outside Dir (see site.go)
	files   map[string]*FileInfo
	modules map[string]string // module -> path
	pkgs    map[string]bool   // every package prefix of a module (namespace packages too)
	layouts map[string][]CellInfo
	nodes   map[string]*node
	facts   map[string][]*node          // factory short name -> factory defs
	cycles  [][]string                  // import cycles, nil until computed
	defs    map[string]map[string]*node // module -> def name -> node
	binds   map[string]map[string]*node // module -> binding name -> node (names that are not defs)
	subs    map[string]map[string]bool  // module or package -> names of its submodules
	names   nameIndex                   // methods by attribute name, defs and bindings by string
	data    map[string]*dataFile        // data files: include-glob matches and files code names
	dists   map[string]Package          // installed packages by top-level module (see site.go)
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

// Scan reads every .py file under opts.Dir (and under the editable installs
// opts.SitePackages points to), and the data files opts.Include matches,
// and builds the graph. Files that do not scan are recorded (see Errors)
// and the rest goes on; the error is for a directory that cannot be read
// or a cancelled context.
func Scan(ctx context.Context, opts Options) (*Graph, error) {
	g, err := newGraph(opts)
	if err != nil {
		return nil, err
	}
	g.dists = readDists(g.opts.SitePackages)
	paths, data, err := g.walk(ctx)
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
	for _, p := range data {
		g.data[g.rel(p)] = &dataFile{included: true}
	}
	g.linkAll()
	if err := g.hashData(ctx); err != nil {
		return nil, err
	}
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
	if opts.Exclude == nil {
		opts.Exclude = DefaultExclude()
	}
	if opts.MaxFileSize == 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	for _, p := range opts.Include {
		if !doublestar.ValidatePattern(filepath.ToSlash(p)) {
			return nil, fmt.Errorf("depgraph: include pattern %q is not a valid glob", p)
		}
	}
	for _, p := range opts.ExcludeGlobs {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("depgraph: exclude pattern %q is not a valid glob", p)
		}
	}
	g := &Graph{opts: opts, dir: dir, files: map[string]*FileInfo{}, layouts: map[string][]CellInfo{}, data: map[string]*dataFile{}}
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
	g.ext = editableRoots(opts.SitePackages, dir)
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

// hasGlobs reports whether any exclude glob is set: without one, a scan
// makes no relative path only to match it against none.
func (g *Graph) hasGlobs() bool { return len(g.opts.ExcludeGlobs) > 0 }

// globExcluded reports whether the key rel (a slash path relative to Dir)
// matches one of Options.ExcludeGlobs. Keys outside Dir (editable
// installs) never do.
func (g *Graph) globExcluded(rel string) bool {
	if rel == "" || strings.HasPrefix(rel, "/") {
		return false
	}
	for _, pat := range g.opts.ExcludeGlobs {
		if doublestar.MatchUnvalidated(pat, rel) {
			return true
		}
	}
	return false
}

// SourceFiles returns the absolute paths of the files Scan would read with
// opts now, sorted, without reading them: the .py files under Dir, the
// files there that Include matches, and the .py files of editable
// installs outside Dir (see ExtraRoots). Callers use it to find files
// added while nothing was watching.
func SourceFiles(ctx context.Context, opts Options) ([]string, error) {
	g, err := newGraph(opts)
	if err != nil {
		return nil, err
	}
	return g.sourceFiles(ctx, nil)
}

// SourceFiles returns the absolute paths of the files a scan of the
// graph's directory would read now, as the function SourceFiles, and the
// data files that the code names, sorted.
func (g *Graph) SourceFiles(ctx context.Context) ([]string, error) {
	g.mu.Lock()
	var named []string
	for key, d := range g.data {
		if !d.included {
			named = append(named, g.abs(key))
		}
	}
	g.mu.Unlock()
	return g.sourceFiles(ctx, named)
}

func (g *Graph) sourceFiles(ctx context.Context, extra []string) ([]string, error) {
	paths, data, err := g.walk(ctx)
	if err != nil {
		return nil, err
	}
	paths = append(paths, data...)
	seen := map[string]bool{}
	for _, p := range paths {
		seen[p] = true
	}
	for _, p := range extra {
		if !seen[p] {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				paths = append(paths, p)
			}
		}
	}
	sort.Strings(paths)
	return paths, nil
}

// ExtraRoots returns the directories outside Dir whose sources the graph
// tracks (editable installs found through Options.SitePackages), sorted:
// a watcher must watch them as well as Dir.
func (g *Graph) ExtraRoots() []string {
	var out []string
	for _, r := range g.ext {
		out = append(out, r.dir)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// walk lists the .py files under Dir and the editable roots, and the data
// files under Dir that Include matches, as absolute paths.
func (g *Graph) walk(ctx context.Context) (py, data []string, err error) {
	py, data, err = g.walkDir(ctx, g.dir)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range g.ext {
		if r.file != "" {
			py = append(py, r.file)
			continue
		}
		more, _, err := g.walkDir(ctx, r.dir)
		if err != nil {
			continue // an editable install whose checkout went away
		}
		py = append(py, more...)
	}
	return py, data, nil
}

// walkDir lists the .py files under root (Dir, a directory in it or an
// editable root), as absolute paths, skipping excluded directories, and
// under Dir the data files Include matches.
func (g *Graph) walkDir(ctx context.Context, root string) (py, data []string, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil
		}
		if d.IsDir() {
			if p != root && (g.excluded(d.Name()) || g.hasGlobs() && g.globExcluded(g.rel(p))) {
				return filepath.SkipDir
			}
			return ctx.Err()
		}
		if !d.Type().IsRegular() || g.hasGlobs() && g.globExcluded(g.rel(p)) {
			return nil
		}
		if strings.HasSuffix(p, ".py") {
			py = append(py, p)
		} else if len(g.opts.Include) > 0 && g.includes(p) && !g.isOutput(p) {
			data = append(data, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("depgraph: scan %s: %w", root, err)
	}
	return py, data, nil
}

// includes reports whether the absolute path p, under Dir, matches an
// Include glob: against its path relative to Dir, or against its base
// name for a glob without a slash ("*.lyp").
func (g *Graph) includes(p string) bool {
	rel, err := filepath.Rel(g.dir, p)
	if err != nil || !filepath.IsLocal(rel) {
		return false
	}
	rel = filepath.ToSlash(rel)
	base := path.Base(rel)
	for _, pat := range g.opts.Include {
		pat = filepath.ToSlash(pat)
		if ok, _ := doublestar.Match(pat, rel); ok {
			return true
		}
		if !strings.Contains(pat, "/") {
			if ok, _ := doublestar.Match(pat, base); ok {
				return true
			}
		}
	}
	return false
}

// rel turns a path (absolute or relative to Dir) into the graph's key for
// it: the slash path relative to Dir, or for a file of an editable root
// outside Dir its absolute slash path; "" when it lies elsewhere.
func (g *Graph) rel(p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(g.dir, p)
	}
	p = filepath.Clean(p)
	r, err := filepath.Rel(g.dir, p)
	if err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(r)
	}
	for _, e := range g.ext {
		if e.contains(p) {
			return filepath.ToSlash(p)
		}
	}
	return ""
}

// abs turns a key of rel back into an absolute path.
func (g *Graph) abs(key string) string {
	if strings.HasPrefix(key, "/") {
		return filepath.FromSlash(key)
	}
	return filepath.Join(g.dir, filepath.FromSlash(key))
}

// moduleName gives the dotted module of an absolute file path.
func (g *Graph) moduleName(abs string) string {
	for _, e := range g.ext {
		if e.contains(abs) {
			return e.moduleName(abs)
		}
	}
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
// (nil, fs.ErrNotExist). A file over Options.MaxFileSize is not read
// whole: it is hashed as a stream and tracked by its hash alone, with a
// Note saying so.
func (g *Graph) scanFile(abs string, scratch *tokenizer) (*FileInfo, error) {
	rel := g.rel(abs)
	if st, err := os.Stat(abs); err == nil && g.opts.MaxFileSize > 0 && st.Size() > g.opts.MaxFileSize {
		sum, err := hashFile(abs)
		if err != nil {
			return nil, err
		}
		fi := &FileInfo{Path: rel, Module: g.moduleName(abs), Package: strings.HasSuffix(rel, "__init__.py"), Hash: sum, TopHash: "file:" + sum}
		fi.Note = fmt.Sprintf("%s: %d bytes, over the %s size limit: tracked by its hash only, not scanned (an edit invalidates everything that imports it)",
			rel, st.Size(), sizeString(g.opts.MaxFileSize))
		return fi, nil
	}
	src, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	fi, err := scanSource(rel, g.moduleName(abs), src, g.opts.Decorators, scratch)
	if err == nil {
		g.resolveInputs(fi, abs)
	}
	return fi, err
}

// Errors lists the files that did not scan, as "path:line: message".
func (g *Graph) Errors() []string { return g.fileLines(func(fi *FileInfo) string { return fi.Err }) }

// Notes lists, one line each, what the graph tracks with less than a full
// scan: the files over the size limit, tracked by their hash only.
func (g *Graph) Notes() []string { return g.fileLines(func(fi *FileInfo) string { return fi.Note }) }

// fileLines returns line(fi) for every file where it is not "", sorted.
func (g *Graph) fileLines(line func(*FileInfo) string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, fi := range g.files {
		if l := line(fi); l != "" {
			out = append(out, l)
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
