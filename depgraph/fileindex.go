package depgraph

// fileIndex answers, without a walk over every file, the questions an
// incremental update asks of the project: which files' imports name a
// module, which files star-import a module, which files claim a module
// name, and which files' name resolution consulted a module. It mirrors
// Graph.files and Graph.reads: built at the end of linkAll, then kept in
// step with every change to them (Graph.setFile, stopReading, forgetReads).
type fileIndex struct {
	names   map[string]map[string]struct{} // module -> paths whose imports name it (see eachImportName)
	stars   map[string]map[string]struct{} // module -> paths star-importing it
	claims  map[string]int                 // module -> how many files are that module
	readers map[string]map[string]struct{} // module -> paths whose footprint holds it
}

// index returns the file index, building it if there is none.
func (g *Graph) index() *fileIndex {
	if g.idx == nil {
		x := &fileIndex{
			names:   map[string]map[string]struct{}{},
			stars:   map[string]map[string]struct{}{},
			claims:  make(map[string]int, len(g.files)),
			readers: map[string]map[string]struct{}{},
		}
		for _, fi := range g.files {
			x.add(g, fi)
		}
		for p, mods := range g.reads {
			for _, m := range mods {
				put(x.readers, m, p)
			}
		}
		g.idx = x
	}
	return g.idx
}

// setFile replaces the file at rel with fi (nil: deletes it), keeping the
// index, if built, in step.
func (g *Graph) setFile(rel string, fi *FileInfo) {
	if g.idx != nil {
		if old := g.files[rel]; old != nil {
			g.idx.remove(g, old)
		}
		if fi != nil {
			g.idx.add(g, fi)
		}
	}
	if fi == nil {
		delete(g.files, rel)
	} else {
		g.files[rel] = fi
	}
}

func (x *fileIndex) add(g *Graph, fi *FileInfo) {
	g.eachImportName(fi, func(m string, star bool) {
		put(x.names, m, fi.Path)
		if star {
			put(x.stars, m, fi.Path)
		}
	})
	x.claims[fi.Module]++
}

func (x *fileIndex) remove(g *Graph, fi *FileInfo) {
	g.eachImportName(fi, func(m string, star bool) {
		drop(x.names, m, fi.Path)
		if star {
			drop(x.stars, m, fi.Path)
		}
	})
	if x.claims[fi.Module]--; x.claims[fi.Module] <= 0 {
		delete(x.claims, fi.Module)
	}
}

func put(m map[string]map[string]struct{}, k, p string) {
	s := m[k]
	if s == nil {
		s = map[string]struct{}{}
		m[k] = s
	}
	s[p] = struct{}{}
}

func drop(m map[string]map[string]struct{}, k, p string) {
	if s := m[k]; s != nil {
		delete(s, p)
		if len(s) == 0 {
			delete(m, k)
		}
	}
}

// eachImportName calls f for every module name an import of fi names
// (`import a.b.c` names a, a.b and a.b.c; `from m import x` names m and
// m.x), with star set for the module of a `from m import *`. A name may
// come more than once.
func (g *Graph) eachImportName(fi *FileInfo, f func(module string, star bool)) {
	for _, im := range fi.Imports {
		m := g.absModule(fi, im)
		if !im.From() {
			for p := m; p != ""; p = parentModule(p) {
				f(p, false)
			}
			continue
		}
		star := len(im.Names) == 1 && im.Names[0] == "*"
		f(m, star)
		if star {
			continue
		}
		for _, n := range im.Names {
			f(m+"."+n, false)
		}
	}
}

// Every module name a file's name resolution consults (its imports, the
// modules a re-export chain passes through, submodules looked up, names
// that were not modules then) is recorded as the file's footprint: when one
// of those modules changes, the file's edges may resolve differently even
// though no edge of it points into that module (a chain that stopped short,
// a name not found).

// consult notes that the resolution under way read module m. The file's
// own module is left out: a change to it relinks the file anyway.
func (g *Graph) consult(m string) {
	if !g.recording || m == g.readingSelf {
		return
	}
	g.reading[m] = struct{}{}
}

// consultSub notes that the resolution under way asked whether mod.name
// is a module, without building the name unless it is new. The answer can
// change only if mod is a package: a plain module turning into one is a
// change of mod, which the resolution consulted first; the file's own
// module is left out too (relinkSet relinks a new module's parent file).
func (g *Graph) consultSub(mod, name string) {
	if !g.recording || mod == g.readingSelf {
		return
	}
	if p, ok := g.modules[mod]; ok && !g.files[p].Package {
		return
	}
	g.subKey = append(append(append(g.subKey[:0], mod...), '.'), name...)
	if _, seen := g.reading[string(g.subKey)]; !seen {
		g.consult(string(g.subKey))
	}
}

// startReading begins recording the modules consulted by resolution for
// the file fi.
func (g *Graph) startReading(fi *FileInfo) {
	if g.reading == nil {
		g.reading = map[string]struct{}{}
	}
	g.readingSelf, g.recording = fi.Module, true
}

// stopReading ends the recording and makes it the footprint of path.
func (g *Graph) stopReading(path string) {
	mods := make([]string, 0, len(g.reading))
	for m := range g.reading {
		mods = append(mods, m)
	}
	clear(g.reading)
	g.readingSelf, g.recording = "", false
	g.forgetReads(path)
	if len(mods) == 0 {
		return // most files of a big tree: keep no entry
	}
	g.reads[path] = mods
	if g.idx != nil {
		for _, m := range mods {
			put(g.idx.readers, m, path)
		}
	}
}

// forgetReads drops the footprint of path.
func (g *Graph) forgetReads(path string) {
	if g.idx != nil {
		for _, m := range g.reads[path] {
			drop(g.idx.readers, m, path)
		}
	}
	delete(g.reads, path)
}
