package depgraph

import (
	"sort"
	"strings"
)

// isOp reports whether token k is the one-character operator c.
func (s *fileScanner) isOp(k token, c byte) bool {
	return k.kind == tkOp && k.end-k.start == 1 && s.t.src[k.start] == c
}

// refs collects the references of logical lines [lo, hi) that pass keep
// (all when nil), from the tokens that pass use (all when nil), skipping
// the token at self (a def's own name):
//
//   - dotted name chains: "a.b.c", "a.b.c(" when called;
//   - attributes of other expressions, with a leading dot: `f().m(` gives
//     ".m(", `x[0].a.b` gives ".a.b";
//   - when strs is set, string literals that are (dotted) identifiers,
//     with a leading quote: `"bend_euler"` gives "'bend_euler".
//
// Names in f-strings' replacement fields count as names.
func (s *fileScanner) refs(lo, hi int, keep func(int) bool, use func(int32) bool, self int32, strs bool) []string {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	clear(s.seen)
	var out []string
	put := func(buf []byte) {
		s.buf = buf
		if !s.seen[string(buf)] {
			r := string(buf)
			s.seen[r] = true
			out = append(out, r)
		}
	}
	add := func(toks []token, i int) {
		if i+1 < len(toks) && s.isOp(toks[i+1], '=') && !(i > 0 && s.isOp(toks[i-1], ':')) {
			return // a keyword argument, a parameter's default or an assignment target: not a use
		}
		buf := s.buf[:0]
		if i > 0 && s.isOp(toks[i-1], '.') {
			// An attribute: of a name chain (recorded from its first
			// name), of `from .x`/`from ..x`, or of another expression.
			if i < 2 || toks[i-2].kind == tkName || s.isOp(toks[i-2], '.') {
				return
			}
			buf = append(buf, '.')
		}
		var last int // where the chain's last part starts
		for {
			last = len(buf)
			buf = append(buf, s.t.src[toks[i].start:toks[i].end]...)
			if i+2 < len(toks) && s.isOp(toks[i+1], '.') && toks[i+2].kind == tkName {
				buf = append(buf, '.')
				i += 2
				continue
			}
			break
		}
		switch {
		case i+1 < len(toks) && toks[i+1].kind == tkOp && s.t.src[toks[i+1].start] == '(':
			buf = append(buf, '(') // called
		case i+1 < len(toks) && s.isOp(toks[i+1], '=') && last > 1 && buf[last-1] == '.':
			buf = buf[:last-1] // `self.x = v` stores x: only self is used
			if buf[0] == '.' && len(buf) == 1 {
				return
			}
		}
		put(buf)
	}
	for x := lo; x < hi; x++ {
		if keep != nil && !keep(x) {
			continue
		}
		l := s.t.lines[x]
		for i := l.first; i < l.last; i++ {
			k := s.t.toks[i]
			if i == self || (use != nil && !use(i)) {
				continue
			}
			switch k.kind {
			case tkName:
				if !isKeyword(s.t.src[k.start:k.end]) {
					add(s.t.toks, int(i))
				}
			case tkString:
				if k.innerHi > k.innerLo {
					inner := s.t.inner[k.innerLo:k.innerHi]
					for j := range inner {
						if inner[j].kind == tkName && !isKeyword(s.t.src[inner[j].start:inner[j].end]) {
							add(inner, j)
						}
					}
				} else if strs {
					if v, ok := s.literal(k); ok && isDottedIdent(v) && !isKeyword([]byte(v)) {
						put(append(append(s.buf[:0], '\''), v...))
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// literal returns the value of a plain string literal (no f or b prefix,
// no backslash escapes); ok is false for any other token.
func (s *fileScanner) literal(k token) (string, bool) {
	if k.kind != tkString {
		return "", false
	}
	t := s.t.src[k.start:k.end]
	i := 0
	for i < len(t) && t[i] != '"' && t[i] != '\'' {
		switch t[i] | 0x20 {
		case 'f', 'b':
			return "", false
		}
		i++
	}
	if len(t)-i < 2 {
		return "", false
	}
	q := 1
	if len(t)-i >= 6 && t[i+1] == t[i] && t[i+2] == t[i] {
		q = 3
	}
	if len(t)-i < 2*q {
		return "", false
	}
	v := t[i+q : len(t)-q]
	for _, c := range v {
		if c == '\\' || c == '\n' || c == '\r' {
			return "", false
		}
	}
	return string(v), true
}

// isDottedIdent reports whether v is NAME(.NAME)* in ASCII.
func isDottedIdent(v string) bool {
	if v == "" {
		return false
	}
	start := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if start || i == len(v)-1 {
				return false
			}
			start = true
			continue
		case c == '_' || c|0x20 >= 'a' && c|0x20 <= 'z':
		case c >= '0' && c <= '9':
			if start {
				return false
			}
		default:
			return false
		}
		start = false
	}
	return true
}

// pathPart reports whether a literal may be part of a file path: no
// spaces, quotes or other characters file names rarely hold.
func pathPart(v string) bool {
	if v == "" || len(v) > 255 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c == '_' || c == '-' || c == '.' || c == '/' || c == '+' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z') {
			return false
		}
	}
	return true
}

// hasFileExt reports whether the last part of a slash path has an
// extension starting with a letter ("mmi.gds", "a.pic.yml").
func hasFileExt(p string) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 || dot == len(base)-1 || len(base)-dot > 11 {
		return false
	}
	c := base[dot+1]
	return c|0x20 >= 'a' && c|0x20 <= 'z'
}

// maxPathRun bounds how many literals are joined into one path.
const maxPathRun = 6

// pathsIn returns the path-like literals of logical lines [lo, hi) that
// pass keep, from tokens that pass use: each literal with a file
// extension, and the paths it ends when joined with the literals before it
// by `/` or `,` (`Path(__file__).parent / "data" / "x.csv"`,
// `os.path.join(HERE, "data", "x.csv")` give "data/x.csv" and "x.csv").
// Every one is also added to the file's Paths.
func (s *fileScanner) pathsIn(lo, hi int, keep func(int) bool, use func(int32) bool) []string {
	var out []string
	for x := lo; x < hi; x++ {
		if keep != nil && !keep(x) {
			continue
		}
		l := s.t.lines[x]
		var run []string
		for i := l.first; i < l.last; i++ {
			k := s.t.toks[i]
			if use != nil && !use(i) {
				run = run[:0]
				continue
			}
			v, ok := s.literal(k)
			if !ok || !pathPart(v) {
				if !(s.isOp(k, '/') || s.isOp(k, ',')) {
					run = run[:0]
				}
				continue
			}
			if i > l.first && len(run) > 0 && !(s.isOp(s.t.toks[i-1], '/') || s.isOp(s.t.toks[i-1], ',')) {
				run = run[:0]
			}
			if len(run) == maxPathRun {
				run = run[1:]
			}
			run = append(run, strings.Trim(v, "/"))
			if !hasFileExt(v) {
				continue
			}
			for j := len(run) - 1; j >= 0; j-- {
				p := strings.Join(run[j:], "/")
				if p == "" || strings.HasSuffix(p, ".py") {
					continue
				}
				out = append(out, p)
				if s.paths == nil {
					s.paths = map[string]bool{}
				}
				s.paths[p] = true
			}
		}
	}
	return out
}
