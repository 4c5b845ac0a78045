package depgraph

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// DefaultDecorators returns the decorator names that mark a factory by
// default: gdsfactory's and kfactory's cell, vcell, cell_with_module_name
// and schematic_cell, bare or as the last part of a dotted name (`@cell`,
// `@kf.cell`, `@gf.cell(...)`, `@pdk.vcell`, `@kcl.cell`,
// `@gf.cell_with_module_name`, `@pdk.schematic_cell`).
func DefaultDecorators() []string {
	return []string{"cell", "vcell", "cell_with_module_name", "schematic_cell"}
}

// isKeyword reports whether a name token is one of Python's hard keywords.
func isKeyword(s []byte) bool {
	switch string(s) {
	case "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
		"continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
		"if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
		"return", "try", "while", "with", "yield":
		return true
	}
	return false
}

// ScanSource scans one file's source. path is used in errors and stored in
// the result; module is its dotted module name; decorators lists names
// that mark factories besides DefaultDecorators. A file that does not
// tokenize returns a *SyntaxError and a FileInfo with only Path, Module and
// Hash filled in.
func ScanSource(path, module string, src []byte, decorators []string) (*FileInfo, error) {
	return scanSource(path, module, src, decorators, new(tokenizer))
}

// scanSource is ScanSource with a tokenizer whose buffers it reuses.
func scanSource(path, module string, src []byte, decorators []string, scratch *tokenizer) (*FileInfo, error) {
	sum := sha256.Sum256(src)
	fi := &FileInfo{Path: path, Module: module, Hash: hex.EncodeToString(sum[:])}
	fi.Package = strings.HasSuffix(path, "__init__.py")
	t, err := scratch.tokenize(src)
	if err != nil {
		se := err.(*SyntaxError)
		se.Path = path
		fi.Err = se.Error()
		return fi, se
	}
	s := &fileScanner{t: t, fi: fi, decorators: decorators}
	s.scan()
	return fi, nil
}

type fileScanner struct {
	t          *tokenizer
	fi         *FileInfo
	decorators []string                // besides DefaultDecorators
	seen       map[string]bool         // scratch for refs
	buf        []byte                  // scratch for refs
	wrappers   map[string]wrapper      // module-level names assigned once, for factory makers
	paths      map[string]bool         // every path-like literal of the file
	binds      map[string]*bindBuilder // module-level bindings under construction
	importTok  []bool                  // tokens of import statements: not references (the imports are edges of their own)
}

// notImport is a token filter for refs: tokens outside import statements.
func (s *fileScanner) notImport(i int32) bool { return !s.importTok[i] }

func (s *fileScanner) text(k token) string { return string(s.t.src[k.start:k.end]) }

func (s *fileScanner) is(i int32, text string) bool {
	k := s.t.toks[i]
	return int(k.end-k.start) == len(text) && string(s.t.src[k.start:k.end]) == text
}

// span is a top-level def's logical lines [lo, hi).
type span struct{ lo, hi int }

func (s *fileScanner) scan() {
	lines := s.t.lines
	s.importTok = make([]bool, len(s.t.toks))
	for _, l := range lines {
		for _, st := range s.importStatements(l) {
			for i := st.lo; i < st.hi; i++ {
				s.importTok[i] = true
			}
		}
	}
	inDef := make([]int, len(lines)) // def index+1 for lines inside a def
	var spans []span
	for i := 0; i < len(lines); {
		if lines[i].col != 0 {
			i++
			continue
		}
		j := i
		for j < len(lines) && lines[j].col == 0 && s.is(lines[j].first, "@") {
			j++
		}
		if j >= len(lines) || !s.startsDef(lines[j], true) {
			if j == i {
				i++
			} else {
				i = j
			}
			continue
		}
		k := j + 1
		for k < len(lines) && lines[k].col != 0 {
			k++
		}
		spans = append(spans, span{i, k})
		s.fi.Defs = append(s.fi.Defs, s.def(i, j, k))
		for x := i; x < k; x++ {
			inDef[x] = len(spans)
		}
		i = k
	}
	s.imports(inDef)
	main := s.mainLines()
	bound := s.bindings(inDef, main)
	s.top(inDef, main, bound)
	s.factories()
	s.fi.Paths = sortedKeys(s.paths)
}

// startsDef reports whether a logical line starts a def (or, when class
// is true, a class) statement.
func (s *fileScanner) startsDef(l logLine, class bool) bool {
	kw := l.first
	if s.is(kw, "async") {
		kw++
	}
	if kw+1 >= l.last || s.t.toks[kw+1].kind != tkName {
		return false
	}
	return s.is(kw, "def") || class && s.is(kw, "class") && kw == l.first
}

// def builds the Def for decorator lines [lo, at) and the def line at, its
// body ending before logical line hi. A class's methods are Defs of their
// own; its Refs and BodyHash leave them out.
func (s *fileScanner) def(lo, at, hi int) Def {
	d, kw := s.header(lo, at, hi)
	d.Hash = s.hashLines(lo, hi, nil)
	if d.Kind != "class" {
		d.Refs = s.refs(lo, hi, nil, s.notImport, kw+1, true)
		d.paths = s.pathsIn(lo, hi, nil, nil)
		return d
	}
	inMethod := map[int]bool{}
	lines := s.t.lines
	depth := lines[at].depth + 1
	for x := at + 1; x < hi; {
		j := x
		for j < hi && lines[j].depth == depth && s.is(lines[j].first, "@") {
			j++
		}
		if j >= hi || lines[j].depth != depth || !s.startsDef(lines[j], false) {
			x = max(j, x+1)
			continue
		}
		k := j + 1
		for k < hi && lines[k].depth > depth {
			k++
		}
		m, mkw := s.header(x, j, k)
		m.Hash = s.hashLines(x, k, nil)
		m.Refs = s.refs(x, k, nil, s.notImport, mkw+1, true)
		m.paths = s.pathsIn(x, k, nil, nil)
		d.Methods = append(d.Methods, m)
		for y := x; y < k; y++ {
			inMethod[y] = true
		}
		x = k
	}
	body := func(x int) bool { return !inMethod[x] }
	d.BodyHash = s.hashLines(lo, hi, body)
	d.Refs = s.refs(lo, hi, body, s.notImport, kw+1, true)
	d.paths = s.pathsIn(lo, hi, body, nil)
	return d
}

// header reads a def or class statement's decorators [lo, at), kind, name
// and lines; it returns the Def and the index of its keyword token.
func (s *fileScanner) header(lo, at, hi int) (Def, int32) {
	lines := s.t.lines
	l := lines[at]
	kw := l.first
	if s.is(kw, "async") {
		kw++
	}
	d := Def{Kind: s.text(s.t.toks[kw]), Line: int(s.t.toks[l.first].line)}
	d.Name = s.text(s.t.toks[kw+1])
	d.Start = int(s.t.toks[lines[lo].first].line)
	last := lines[hi-1]
	d.EndLine = int(s.t.toks[last.last-1].endLine)
	for x := lo; x < at; x++ {
		name, _ := s.dottedAt(lines[x].first+1, lines[x].last)
		d.Decorators = append(d.Decorators, name)
	}
	return d, kw
}

// isFactoryDecorator reports whether a dotted decorator name, or its last
// part, is a default or configured factory decorator.
func (s *fileScanner) isFactoryDecorator(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	for _, dec := range DefaultDecorators() {
		if dec == name || dec == last {
			return true
		}
	}
	for _, dec := range s.decorators {
		if dec == name || dec == last {
			return true
		}
	}
	return false
}

// hashLines hashes the tokens of logical lines [lo, hi) that pass keep (all
// when nil), with each line's indentation depth, so that comments, blank
// lines and line breaks inside brackets do not count but a moved block does.
func (s *fileScanner) hashLines(lo, hi int, keep func(int) bool) string {
	h := fnv.New64a()
	var buf []byte
	for x := lo; x < hi; x++ {
		if keep != nil && !keep(x) {
			continue
		}
		l := s.t.lines[x]
		buf = append(buf[:0], 0xFF, byte(l.depth), byte(l.depth>>8))
		for i := l.first; i < l.last; i++ {
			k := s.t.toks[i]
			buf = append(buf, byte(k.kind))
			buf = append(buf, s.t.src[k.start:k.end]...)
			buf = append(buf, 0)
		}
		h.Write(buf)
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

// mainLines marks the logical lines under `if __name__ == "__main__":`.
func (s *fileScanner) mainLines() []bool {
	main := make([]bool, len(s.t.lines))
	inMain := false
	for x, l := range s.t.lines {
		if l.col == 0 {
			inMain = s.isMainGuard(l)
		}
		main[x] = inMain
	}
	return main
}

// top hashes and collects references of the module's top-level code: the
// logical lines outside every top-level def, import statements excluded
// from the references, and those under `if __name__ == "__main__":` kept
// apart in MainRefs. The files named by top-level statements other than
// bindings (bound) are its inputs.
func (s *fileScanner) top(inDef []int, main, bound []bool) {
	keep := func(x int) bool { return inDef[x] == 0 }
	s.fi.TopHash = s.hashLines(0, len(s.t.lines), keep)
	use := s.notImport
	s.fi.TopRefs = s.refs(0, len(s.t.lines), func(x int) bool { return inDef[x] == 0 && !main[x] }, use, -1, false)
	s.fi.MainRefs = s.refs(0, len(s.t.lines), func(x int) bool { return inDef[x] == 0 && main[x] }, use, -1, false)
	// Unresolved here; the graph turns them into TopInputs.
	s.fi.topPaths = s.pathsIn(0, len(s.t.lines), func(x int) bool { return inDef[x] == 0 && !main[x] && !bound[x] }, nil)
}

// isMainGuard reports whether a logical line is `if __name__ == "__main__":`.
func (s *fileScanner) isMainGuard(l logLine) bool {
	if l.last-l.first < 4 || !s.is(l.first, "if") {
		return false
	}
	var name, str bool
	for i := l.first + 1; i < l.last; i++ {
		k := s.t.toks[i]
		switch {
		case k.kind == tkName && s.is(i, "__name__"):
			name = true
		case k.kind == tkString && strings.Contains(s.text(k), "__main__"):
			str = true
		}
	}
	return name && str
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
