package depgraph

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// extRoot is a source tree outside Dir that the interpreter imports from
// because of an editable install: a sys.path entry of a .pth file (module
// ""), or one package (module: its name) or single-module file (file) of
// an editable finder's mapping.
type extRoot struct {
	dir    string
	module string
	file   string
}

// contains reports whether the absolute path p belongs to the root.
func (e extRoot) contains(p string) bool {
	if e.file != "" {
		return p == e.file
	}
	return strings.HasPrefix(p, e.dir+string(filepath.Separator))
}

// moduleName gives the dotted module of a file of the root.
func (e extRoot) moduleName(abs string) string {
	if e.file != "" {
		return e.module
	}
	rel, _ := filepath.Rel(e.dir, abs)
	rel = strings.TrimSuffix(filepath.ToSlash(rel), ".py")
	rel = strings.TrimSuffix(rel, "/__init__")
	if rel == "__init__" {
		return e.module
	}
	rel = strings.ReplaceAll(rel, "/", ".")
	if e.module != "" {
		return e.module + "." + rel
	}
	return rel
}

var (
	// setuptools' __editable__ finders: MAPPING: dict[str, str] = {'pkg': '/src/pkg'}
	mappingRE = regexp.MustCompile(`(?s)MAPPING\s*(?::[^=]*)?=\s*\{(.*?)\}`)
	pairRE    = regexp.MustCompile(`['"]([^'"]+)['"]\s*:\s*['"]([^'"]+)['"]`)
	// the editables package (hatchling): F.map_module('pkg', '/src/pkg/__init__.py')
	mapModuleRE = regexp.MustCompile(`map_module\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]`)
	importRE    = regexp.MustCompile(`^import\s+([A-Za-z_][A-Za-z0-9_.]*)`)
)

// editableRoots finds the source trees outside project that the .pth files
// of the site-packages directories put on the import path: path lines
// (pip's legacy `develop`, pdm, hatchling), and the modules imported by
// `import` lines that are setuptools' __editable__ finders or editables'
// redirectors, whose mappings name a package directory or module file.
func editableRoots(sites []string, project string) []extRoot {
	var out []extRoot
	inSite := func(p string) bool {
		for _, s := range sites {
			if within(s, p) {
				return true
			}
		}
		return false
	}
	add := func(r extRoot) {
		d := r.dir
		if d == "" || within(project, d) || within(d, project) || inSite(d) || isSiteDir(d) {
			return
		}
		out = append(out, r)
	}
	for _, site := range sites {
		pths, _ := filepath.Glob(filepath.Join(site, "*.pth"))
		sort.Strings(pths)
		for _, pth := range pths {
			for _, line := range readLines(pth) {
				line = strings.TrimSpace(line)
				switch {
				case line == "" || strings.HasPrefix(line, "#"):
				case strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "import\t"):
					if m := importRE.FindStringSubmatch(line); m != nil {
						for _, r := range finderRoots(filepath.Join(site, strings.ReplaceAll(m[1], ".", "/")+".py")) {
							add(r)
						}
					}
				default:
					p := line
					if !filepath.IsAbs(p) {
						p = filepath.Join(site, p)
					}
					if st, err := os.Stat(p); err == nil && st.IsDir() {
						add(extRoot{dir: filepath.Clean(p)})
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].dir != out[j].dir {
			return out[i].dir < out[j].dir
		}
		return out[i].module < out[j].module
	})
	return out
}

// isSiteDir reports whether d is another installation's site-packages (a
// .pth path line may add one): not a checkout to scan.
func isSiteDir(d string) bool {
	switch filepath.Base(d) {
	case "site-packages", "dist-packages":
		return true
	}
	infos, _ := filepath.Glob(filepath.Join(d, "*.dist-info"))
	return len(infos) > 0
}

// finderRoots reads an editable finder module and returns the packages
// and modules its mapping points to.
func finderRoots(p string) []extRoot {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var pairs [][]string
	if m := mappingRE.FindSubmatch(b); m != nil {
		for _, kv := range pairRE.FindAllStringSubmatch(string(m[1]), -1) {
			pairs = append(pairs, kv[1:])
		}
	}
	for _, kv := range mapModuleRE.FindAllStringSubmatch(string(b), -1) {
		pairs = append(pairs, kv[1:])
	}
	var out []extRoot
	for _, kv := range pairs {
		name, target := kv[0], filepath.Clean(kv[1])
		if filepath.Base(target) == "__init__.py" {
			target = filepath.Dir(target)
		}
		st, err := os.Stat(target)
		switch {
		case err != nil:
		case st.IsDir():
			out = append(out, extRoot{dir: target, module: name})
		case strings.HasSuffix(target, ".py"):
			out = append(out, extRoot{dir: filepath.Dir(target), module: name, file: target})
		}
	}
	return out
}

func readLines(p string) []string {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// within reports whether the path p is dir or below it.
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && filepath.IsLocal(r) || r == "."
}

// Package is an installed distribution that provides a top-level module
// the sources import.
type Package struct {
	Module  string `json:"module"`  // the top-level module imported
	Name    string `json:"name"`    // the distribution ("" when none provides it: the standard library, or not installed)
	Version string `json:"version"` // its version
}

// readDists maps each top-level module that a distribution installed in
// the site-packages directories provides to that distribution, from the
// `*.dist-info` (and `*.egg-info`) directories: their names give the
// distribution and version, top_level.txt or else RECORD the modules. The
// first directory listing a module wins, as on sys.path.
func readDists(sites []string) map[string]Package {
	out := map[string]Package{}
	for _, site := range sites {
		ents, err := os.ReadDir(site)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			var base string
			switch {
			case strings.HasSuffix(n, ".dist-info"):
				base = strings.TrimSuffix(n, ".dist-info")
			case strings.HasSuffix(n, ".egg-info"):
				base = strings.TrimSuffix(n, ".egg-info")
			default:
				continue
			}
			name, version, _ := strings.Cut(base, "-")
			version, _, _ = strings.Cut(version, "-") // egg-info: name-1.0-py3.11
			for _, mod := range distModules(filepath.Join(site, n), name) {
				if _, seen := out[mod]; !seen {
					out[mod] = Package{Module: mod, Name: name, Version: version}
				}
			}
		}
	}
	return out
}

// distModules lists the top-level modules a distribution installs.
func distModules(info, name string) []string {
	if lines := readLines(filepath.Join(info, "top_level.txt")); len(lines) > 0 {
		var out []string
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "/") {
				out = append(out, l)
			}
		}
		return out
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range readLines(filepath.Join(info, "RECORD")) {
		p, _, _ := strings.Cut(l, ",")
		first, _, nested := strings.Cut(p, "/")
		if !nested {
			if !strings.HasSuffix(first, ".py") && !strings.HasSuffix(first, ".so") && !strings.HasSuffix(first, ".pyd") {
				continue
			}
			first, _, _ = strings.Cut(first, ".")
		}
		if first == "" || first == ".." || first == "__pycache__" || strings.Contains(first, ".") ||
			strings.HasPrefix(first, "__editable__") || strings.HasPrefix(first, "_editable_impl_") || seen[first] {
			continue
		}
		seen[first] = true
		out = append(out, first)
	}
	if len(out) == 0 {
		out = []string{strings.ToLower(strings.ReplaceAll(name, "-", "_"))}
	}
	return out
}

// Packages lists the installed packages the sources import, with the
// distribution and version that provide each ("" for a module no
// distribution lists: the standard library, or one not installed), as of
// the scan, the snapshot, or the last RefreshPackages. Sorted by module.
func (g *Graph) Packages() []Package {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.packages()
}

func (g *Graph) packages() []Package {
	var out []Package
	for _, n := range g.nodes {
		if n.kind == kindPackage {
			p := g.dists[n.name]
			p.Module = n.name
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Module < out[j].Module })
	return out
}

// RefreshPackages reads the site-packages directories again and returns
// what the packages whose distribution or version changed since (upgraded,
// installed, removed) invalidate: the code that imports them, and what
// depends on it.
func (g *Graph) RefreshPackages(ctx context.Context) (*Invalidation, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inv := newInvalidation()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.refreshPackages(inv)
	g.reachUnscoped(inv)
	inv.finish()
	return inv, nil
}

// refreshPackages re-reads the installed distributions and marks in inv
// what the changed ones invalidate.
func (g *Graph) refreshPackages(inv *Invalidation) {
	now := readDists(g.opts.SitePackages)
	var seeds []seed
	for _, p := range g.packages() {
		q := now[p.Module]
		if q.Name == p.Name && q.Version == p.Version {
			continue
		}
		was, is := "not installed", "not installed"
		if p.Name != "" {
			was = p.Name + " " + p.Version
		}
		if q.Name != "" {
			is = q.Name + " " + q.Version
		}
		inv.Packages = append(inv.Packages, p.Module)
		seeds = append(seeds, seed{g.nodes[packageID(p.Module)], "package " + p.Module + ": " + was + " → " + is})
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i].n.id < seeds[j].n.id })
	g.dists = now
	inv.closure(seeds)
}

// InstalledPackages returns, for each top-level module given, the
// distribution and version that the site-packages directories install
// now (Name "" for a module none provides), sorted by module: what
// Packages recorded, read again without a graph.
func InstalledPackages(sitePackages, modules []string) []Package {
	now := readDists(sitePackages)
	out := make([]Package, 0, len(modules))
	for _, m := range modules {
		p := now[m]
		p.Module = m
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Module < out[j].Module })
	return out
}
