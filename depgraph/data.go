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
	included bool   // matched by Options.Include: kept even when no code names it
	hash     string // hex SHA-256 when last read ("" not yet)
}

// DataFile is a data file of a snapshot: its key (as FileInfo.Path) and
// the SHA-256 it had.
type DataFile struct {
	Path     string `json:"path"`
	Hash     string `json:"hash"`
	Included bool   `json:"included,omitzero"`
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

// hashData hashes the data files that have no hash yet, on GOMAXPROCS
// workers; a file that cannot be read keeps "".
func (g *Graph) hashData(ctx context.Context) error {
	var keys []string
	for key, d := range g.data {
		if d.hash == "" {
			keys = append(keys, key)
		}
	}
	sums := make([]string, len(keys))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(keys)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sums[i], _ = hashFile(g.abs(keys[i]))
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
		g.data[key].hash = sums[i]
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

// findData looks for the file lit names (a slash path) from dir up to top;
// it returns the graph's key for it, or "".
func (g *Graph) findData(dir, top, lit string) string {
	if strings.HasPrefix(lit, "/") || path.Clean(lit) != lit || strings.HasPrefix(lit, "../") {
		return ""
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, filepath.FromSlash(lit))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return g.rel(p)
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
		if len(g.opts.Include) == 0 || !g.includes(abs) {
			return // not a data file, unless a source now names it
		}
		sum, _ := hashFile(abs)
		g.data[key] = &dataFile{included: true, hash: sum}
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
		}
		dc.gone = append(dc.gone, key)
	default:
		sum, err := hashFile(abs)
		if err != nil || sum == d.hash {
			return
		}
		d.hash = sum
		dc.files = append(dc.files, key)
		if n := g.nodes[fileID(key)]; n != nil {
			dc.seeds = append(dc.seeds, seed{n, key + ": data file changed"})
		}
	}
}

// finishData, after an update's closure: a changed data file that no code
// names reaches every target (a build may read it by a glob or a name
// built at run time); deleted files leave the graph.
func (g *Graph) finishData(inv *Invalidation, dc *dataChanges) {
	for _, s := range dc.seeds {
		if len(s.n.rdeps) == 0 {
			g.reachAll(inv, s.n, "no code names it, so every target may read it")
		}
	}
	for _, key := range dc.gone {
		if d := g.data[key]; d != nil {
			d.included = false
		}
		if n := g.nodes[fileID(key)]; n != nil && len(n.rdeps) == 0 {
			delete(g.nodes, n.id)
		}
		if g.nodes[fileID(key)] == nil {
			delete(g.data, key)
		}
	}
}

// reachAll marks every target as reached from the node from.
func (g *Graph) reachAll(inv *Invalidation, from *node, why string) {
	for _, t := range g.allTargets() {
		n := g.nodes[targetID(t.Name)]
		if n == nil || inv.nodes[n.id] != nil {
			continue
		}
		inv.nodes[n.id] = &invNode{label: n.label(), kind: kindTarget, names: nodeNames(n), parent: from.id, edge: edgeReads,
			reason: from.label() + ": " + why}
	}
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
