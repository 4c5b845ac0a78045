package depgraph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// dataFile is a non-Python file the graph tracks: one an include glob
// matches, or one that code names.
type dataFile struct {
	included bool     // matched by Options.Include: kept even when no code names it
	hash     string   // hex SHA-256 when last read ("" not yet)
	names    []string // for a netlist (YAML, JSON), the identifiers in it
}

// DataFile is a data file of a snapshot: its key (as FileInfo.Path), the
// SHA-256 it had, and for a netlist the identifiers in it.
type DataFile struct {
	Path     string   `json:"path"`
	Hash     string   `json:"hash"`
	Included bool     `json:"included,omitzero"`
	Names    []string `json:"names,omitzero"`
}

// isNetlist reports whether a data file may name factories in its text:
// gdsfactory's YAML netlists (*.pic.yml), YAML and JSON files.
func isNetlist(key string) bool {
	ext := strings.ToLower(path.Ext(key))
	return ext == ".yml" || ext == ".yaml" || ext == ".json"
}

// maxNetlistNames bounds the identifiers kept from one netlist.
const maxNetlistNames = 1 << 14

// readData returns a data file's SHA-256 and, for a netlist no larger
// than limit (when positive), the identifiers in its text, sorted: a
// netlist that names a factory (`component: bend_euler`) depends on it,
// as a string literal naming it does.
func readData(p, key string, limit int64) (string, []string, error) {
	if !isNetlist(key) {
		sum, err := hashFile(p)
		return sum, nil, err
	}
	if st, err := os.Stat(p); err != nil || limit > 0 && st.Size() > limit {
		sum, err := hashFile(p)
		return sum, nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(b)
	seen := map[string]bool{}
	for i := 0; i < len(b) && len(seen) < maxNetlistNames; {
		c := b[i]
		if c != '_' && !(c|0x20 >= 'a' && c|0x20 <= 'z') {
			i++
			continue
		}
		j := i + 1
		for j < len(b) && (b[j] == '_' || b[j] >= '0' && b[j] <= '9' || b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z') {
			j++
		}
		seen[string(b[i:j])] = true
		i = j
	}
	return hex.EncodeToString(sum[:]), sortedKeys(seen), nil
}

// linkData (re)makes a data file node's edges: to what its identifiers
// name, through the name index.
func (g *Graph) linkData(n *node) {
	g.removeCodeEdges(n)
	if d := g.data[n.name]; d != nil {
		for _, w := range d.names {
			g.use(n, "'"+w)
		}
	}
}

// fileNode returns the node of a data file, making it (and its record)
// if there is none.
func (g *Graph) fileNode(key string) *node {
	id := fileID(key)
	if n := g.nodes[id]; n != nil {
		return n
	}
	if g.data[key] == nil {
		g.data[key] = &dataFile{}
	}
	n := newNode(id, kindFile)
	n.name, n.path = key, key
	g.nodes[id] = n
	g.linkData(n)
	return n
}

// packageNode returns the node of an installed package (a top-level
// module outside the project), making it if there is none.
func (g *Graph) packageNode(top string) *node {
	id := packageID(top)
	if n := g.nodes[id]; n != nil {
		return n
	}
	n := newNode(id, kindPackage)
	n.name = top
	g.nodes[id] = n
	return n
}

// hashFile returns the hex SHA-256 of a file, read as a stream.
func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashData reads the data files that have no hash yet, on GOMAXPROCS
// workers (see readData), and links the netlists among them to what they
// name; a file that cannot be read keeps "".
func (g *Graph) hashData(ctx context.Context) error {
	var keys []string
	for key, d := range g.data {
		if d.hash == "" {
			keys = append(keys, key)
		}
	}
	type result struct {
		sum   string
		names []string
	}
	res := make([]result, len(keys))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(keys)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res[i].sum, res[i].names, _ = readData(g.abs(keys[i]), keys[i], g.opts.MaxFileSize)
			}
		}()
	}
	for i := range keys {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, key := range keys {
		d := g.data[key]
		d.hash, d.names = res[i].sum, res[i].names
		if n := g.nodes[fileID(key)]; n != nil {
			g.linkData(n)
		}
	}
	return nil
}

// resolveInputs turns the path-like literals of a scanned file (absolute
// path abs) into the data files they name: each is tried relative to the
// file's directory and then each enclosing one up to Dir (or the editable
// root), and the first that is a regular file, not a .py one, counts.
func (g *Graph) resolveInputs(fi *FileInfo, abs string) {
	if len(fi.Paths) == 0 {
		return
	}
	top := g.dir
	for _, e := range g.ext {
		if e.contains(abs) {
			top = e.dir
		}
	}
	found := map[string]string{} // literal -> key, "" when none
	resolve := func(lits []string) []string {
		var out []string
		for _, lit := range lits {
			key, ok := found[lit]
			if !ok {
				key = g.findData(filepath.Dir(abs), top, lit)
				found[lit] = key
			}
			if key != "" {
				out = append(out, key)
			}
		}
		sort.Strings(out)
		return slicesCompact(out)
	}
	fi.TopInputs = resolve(fi.topPaths)
	for i := range fi.Defs {
		d := &fi.Defs[i]
		d.Inputs = resolve(d.paths)
		for j := range d.Methods {
			d.Methods[j].Inputs = resolve(d.Methods[j].paths)
		}
	}
	for i := range fi.Bindings {
		fi.Bindings[i].Inputs = resolve(fi.Bindings[i].paths)
	}
}

// isOutput reports whether the absolute path p is a target's output.
func (g *Graph) isOutput(p string) bool {
	for _, t := range g.opts.Targets {
		if t.Output == "" {
			continue
		}
		o := t.Output
		if !filepath.IsAbs(o) {
			o = filepath.Join(g.dir, o)
		}
		if filepath.Clean(o) == p {
			return true
		}
	}
	return false
}

// findData looks for the file lit names (a slash path) from dir up to top;
// it returns the graph's key for it, or "".
func (g *Graph) findData(dir, top, lit string) string {
	if strings.HasPrefix(lit, "/") || path.Clean(lit) != lit || strings.HasPrefix(lit, "../") {
		return ""
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, filepath.FromSlash(lit))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			key := g.rel(p)
			if key == "" || g.excludedPath(key) || g.isOutput(p) {
				return "" // a build's output, or under build/, .git/...: not an input
			}
			return key
		}
		if d == top || !strings.HasPrefix(d, top) || d == filepath.Dir(d) {
			return ""
		}
	}
}

func slicesCompact(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// dataChanges are the data files an update found changed, new or gone.
type dataChanges struct {
	files []string // their keys
	seeds []seed   // their nodes, with why
	gone  []string // keys of deleted files, dropped once the closure is done
	// relink are the nodes of netlists whose names changed: linked again
	// once the closure over the old edges is done.
	relink []*node
	read   map[*node]bool // seeds that code named before the update
}

// dataChange looks at one changed non-Python path (a key of rel): a data
// file whose bytes changed, appeared or went away gives a seed; sources
// whose literals may name a file that appeared or went away are scanned
// again (forced), so that their inputs follow.
func (g *Graph) dataChange(key string, dc *dataChanges, forced map[string]bool) {
	d := g.data[key]
	abs := g.abs(key)
	st, err := os.Stat(abs)
	exists := err == nil && st.Mode().IsRegular()
	switch {
	case d == nil && !exists:
	case d == nil:
		for _, fi := range g.files {
			if namesPath(fi.Paths, key) {
				forced[fi.Path] = true
			}
		}
		if len(g.opts.Include) == 0 || !g.includes(abs) || g.isOutput(abs) {
			return // not a data file, unless a source now names it
		}
		sum, names, _ := readData(abs, key, g.opts.MaxFileSize)
		g.data[key] = &dataFile{included: true, hash: sum, names: names}
		dc.files = append(dc.files, key)
		dc.seeds = append(dc.seeds, seed{g.fileNode(key), key + ": new file"})
	case !exists:
		dc.files = append(dc.files, key)
		if n := g.nodes[fileID(key)]; n != nil {
			for r := range n.rdeps {
				if fi := g.files[r.path]; fi != nil {
					forced[fi.Path] = true
				}
			}
			dc.seeds = append(dc.seeds, seed{n, key + ": file deleted"})
			dc.named(n)
		}
		dc.gone = append(dc.gone, key)
	default:
		sum, names, err := readData(abs, key, g.opts.MaxFileSize)
		if err != nil || sum == d.hash {
			return
		}
		d.hash = sum
		dc.files = append(dc.files, key)
		if n := g.nodes[fileID(key)]; n != nil {
			dc.seeds = append(dc.seeds, seed{n, key + ": data file changed"})
			dc.relink = append(dc.relink, n)
			dc.named(n)
		}
		d.names = names
	}
}

// named records whether code names the data file of n, before the update.
func (dc *dataChanges) named(n *node) {
	if dc.read == nil {
		dc.read = map[*node]bool{}
	}
	dc.read[n] = len(n.rdeps) > 0
}

// finishData, after an update's closure: netlists are linked to what they
// name now; a changed data file that no code names reaches every factory
// and target (a build may read it by a glob or a name built at run time);
// deleted files leave the graph.
func (g *Graph) finishData(inv *Invalidation, dc *dataChanges) {
	for _, n := range dc.relink {
		if g.nodes[n.id] == n {
			g.linkData(n)
		}
	}
	for _, s := range dc.seeds {
		if len(s.n.rdeps) == 0 && !dc.read[s.n] {
			g.reachAll(inv, s.n, "no code names it, so every factory may read it")
		}
	}
	for _, key := range dc.gone {
		if d := g.data[key]; d != nil {
			d.included = false
		}
		if n := g.nodes[fileID(key)]; n != nil && len(n.rdeps) == 0 {
			g.removeNode(n)
		}
		if g.nodes[fileID(key)] == nil {
			delete(g.data, key)
		}
	}
}

// reachAll invalidates every factory, and through them their cells, and
// every target, as reached from the node from (a data file no code names).
func (g *Graph) reachAll(inv *Invalidation, from *node, why string) {
	if n := inv.nodes[from.id]; n != nil && n.parent == "" {
		n.reason += ": " + why
	}
	var all []*node
	for _, fs := range g.facts {
		all = append(all, fs...)
	}
	for _, t := range g.allTargets() {
		if n := g.nodes[targetID(t.Name)]; n != nil {
			all = append(all, n)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	inv.reach(from, all, edgeMayRead)
}

// namesPath reports whether one of a source's path-like literals may name
// the data file key.
func namesPath(paths []string, key string) bool {
	for _, p := range paths {
		if key == p || strings.HasSuffix(key, "/"+p) {
			return true
		}
	}
	return false
}

// DataFiles returns the absolute paths of the data files the graph knows:
// those the code names and those the include globs match, sorted. It
// reads no file: a watcher that must see their edits tracks these.
func (g *Graph) DataFiles() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.data))
	for key := range g.data {
		out = append(out, g.abs(key))
	}
	sort.Strings(out)
	return out
}
