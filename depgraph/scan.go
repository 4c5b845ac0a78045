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
// default: cell and vcell, bare or as the last part of a dotted name
// (`@cell`, `@kf.cell`, `@gf.cell(...)`, `@pdk.vcell`).
func DefaultDecorators() []string { return []string{"cell", "vcell"} }

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
// the result; module is its dotted module name; decorators lists the names
// that mark factories (nil: DefaultDecorators). A file that does not
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
	if decorators == nil {
		decorators = DefaultDecorators()
	}
	s := &fileScanner{t: t, fi: fi, decorators: decorators}
	s.scan()
	return fi, nil
}

type fileScanner struct {
	t          *tokenizer
	fi         *FileInfo
	decorators []string
	seen       map[string]bool // scratch for refs
	buf        []byte          // scratch for refs
}

func (s *fileScanner) text(k token) string { return string(s.t.src[k.start:k.end]) }

func (s *fileScanner) is(i int32, text string) bool {
	k := s.t.toks[i]
	return int(k.end-k.start) == len(text) && string(s.t.src[k.start:k.end]) == text
}

// span is a top-level def's logical lines [lo, hi).
type span struct{ lo, hi int }

func (s *fileScanner) scan() {
	lines := s.t.lines
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
		if j >= len(lines) || !s.startsDef(lines[j]) {
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
	s.top(inDef)
}

func (s *fileScanner) startsDef(l logLine) bool {
	kw := l.first
	if s.is(kw, "async") {
		kw++
	}
	if kw+1 >= l.last || s.t.toks[kw+1].kind != tkName {
		return false
	}
	return s.is(kw, "def") || s.is(kw, "class") && kw == l.first
}

// def builds the Def for decorator lines [lo, at) and the def line at, its
// body ending before logical line hi.
func (s *fileScanner) def(lo, at, hi int) Def {
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
		if s.isFactoryDecorator(name) {
			d.Factory = true
		}
	}
	d.Hash = s.hashLines(lo, hi, nil)
	d.Refs = s.refs(lo, hi, nil, nil, kw+1)
	return d
}

func (s *fileScanner) isFactoryDecorator(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
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

// refs collects the dotted name chains used in logical lines [lo, hi) that
// pass keep (all when nil), skipping tokens for which skip returns true and
// the token at self (a def's own name).
func (s *fileScanner) refs(lo, hi int, keep func(int) bool, skip func(int32) bool, self int32) []string {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	clear(s.seen)
	var out []string
	add := func(toks []token, i int) {
		if i > 0 && toks[i-1].kind == tkOp && toks[i-1].end-toks[i-1].start == 1 && s.t.src[toks[i-1].start] == '.' {
			return // an attribute of something else
		}
		buf := s.buf[:0]
		for {
			buf = append(buf, s.t.src[toks[i].start:toks[i].end]...)
			if i+2 < len(toks) && toks[i+1].kind == tkOp && toks[i+1].end-toks[i+1].start == 1 &&
				s.t.src[toks[i+1].start] == '.' && toks[i+2].kind == tkName {
				buf = append(buf, '.')
				i += 2
				continue
			}
			break
		}
		if i+1 < len(toks) && toks[i+1].kind == tkOp && s.t.src[toks[i+1].start] == '(' {
			buf = append(buf, '(') // called
		}
		s.buf = buf
		if !s.seen[string(buf)] {
			r := string(buf)
			s.seen[r] = true
			out = append(out, r)
		}
	}
	for x := lo; x < hi; x++ {
		if keep != nil && !keep(x) {
			continue
		}
		l := s.t.lines[x]
		for i := l.first; i < l.last; i++ {
			k := s.t.toks[i]
			if i == self || (skip != nil && skip(i)) {
				continue
			}
			switch k.kind {
			case tkName:
				if !isKeyword(s.t.src[k.start:k.end]) {
					add(s.t.toks, int(i))
				}
			case tkString:
				inner := s.t.inner[k.innerLo:k.innerHi]
				for j := range inner {
					if inner[j].kind == tkName && !isKeyword(s.t.src[inner[j].start:inner[j].end]) {
						add(inner, j)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// top hashes and collects references of the module's top-level code: the
// logical lines outside every top-level def, import statements excluded
// from the references, and those under `if __name__ == "__main__":` kept
// apart in MainRefs.
func (s *fileScanner) top(inDef []int) {
	importTok := map[int32]bool{}
	main := make([]bool, len(s.t.lines))
	inMain := false
	for x, l := range s.t.lines {
		if l.col == 0 {
			inMain = s.isMainGuard(l)
		}
		main[x] = inMain
		if inDef[x] != 0 {
			continue
		}
		for _, st := range s.importStatements(l) {
			for i := st.lo; i < st.hi; i++ {
				importTok[i] = true
			}
		}
	}
	keep := func(x int) bool { return inDef[x] == 0 }
	s.fi.TopHash = s.hashLines(0, len(s.t.lines), keep)
	skip := func(i int32) bool { return importTok[i] }
	s.fi.TopRefs = s.refs(0, len(s.t.lines), func(x int) bool { return inDef[x] == 0 && !main[x] }, skip, -1)
	s.fi.MainRefs = s.refs(0, len(s.t.lines), func(x int) bool { return inDef[x] == 0 && main[x] }, skip, -1)
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
