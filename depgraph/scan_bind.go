package depgraph

import "strings"

// wrapper is what a module-level name assigned once is bound to, for
// finding factory decorators built on others: `_cell = partial(cell, ...)`
// (callee "partial", first "cell"), `_cell = gf.cell(...)` (callee
// "gf.cell"), `cell2 = cell` (alias "cell").
type wrapper struct {
	alias, callee, first string
}

// bindBuilder gathers one module-level name's assignments.
type bindBuilder struct {
	b        Binding
	assigned int // assignments
	updates  int // in-place updates: `x[k] = v`, `x.y = v`, `x += v`, `x.method(...)`
	refs     map[string]bool
	paths    []string
	w        wrapper
}

// compound statements' keywords: their header lines bind nothing here.
func (s *fileScanner) compoundHeader(i int32) bool {
	switch s.text(s.t.toks[i]) {
	case "if", "elif", "else", "try", "except", "finally", "for", "while", "with", "async", "def", "class", "match", "case", "del", "global", "nonlocal", "return", "assert", "raise", "pass", "import", "from", "print":
		return true
	}
	return false
}

// bindings finds the module-level bindings (outside defs and the main
// guard, at any depth of if/try blocks) and the module's __all__; it
// returns the logical lines that are binding statements.
func (s *fileScanner) bindings(inDef []int, main []bool) []bool {
	bound := make([]bool, len(s.t.lines))
	s.binds = map[string]*bindBuilder{}
	var order []string
	exports, exportsOK, exportsSeen := []string(nil), true, false
	get := func(name string, line int32) *bindBuilder {
		b := s.binds[name]
		if b == nil {
			b = &bindBuilder{b: Binding{Name: name, Line: int(s.t.toks[line].line)}, refs: map[string]bool{}}
			s.binds[name] = b
			order = append(order, name)
		}
		return b
	}
	for x, l := range s.t.lines {
		if inDef[x] != 0 || main[x] || s.t.toks[l.first].kind != tkName || s.compoundHeader(l.first) {
			continue
		}
		for _, st := range s.statements(l) {
			a, b := st[0], st[1]
			if s.is(a, "__all__") {
				exportsSeen = true
				names, ok := s.exportsOf(a, b)
				exports = append(exports, names...)
				exportsOK = exportsOK && ok
				bound[x] = true
				continue
			}
			targets, rhs, kind := s.assignment(a, b)
			if kind == "" {
				continue
			}
			bound[x] = true
			refs := s.refs(x, x+1, nil, func(i int32) bool { return i >= rhs }, -1, true)
			paths := s.pathsIn(x, x+1, nil, func(i int32) bool { return i >= rhs && i < b })
			for _, name := range targets {
				bb := get(name, a)
				if kind == "assign" {
					bb.assigned++
					if bb.assigned == 1 && bb.updates == 0 {
						bb.w = s.wrapperOf(rhs, b)
					} else {
						bb.w = wrapper{}
					}
				} else {
					bb.updates++
					bb.w = wrapper{}
				}
				for _, r := range refs {
					bb.refs[r] = true
				}
				bb.paths = append(bb.paths, paths...)
			}
		}
	}
	s.wrappers = map[string]wrapper{}
	for _, name := range order {
		bb := s.binds[name]
		if bb.assigned == 0 {
			continue // only updated in place (`sys.path.append(...)`): not bound here
		}
		bb.b.Refs = sortedKeys(bb.refs)
		bb.b.Alias = bb.w.alias
		bb.b.paths = bb.paths
		s.fi.Bindings = append(s.fi.Bindings, bb.b)
		if bb.assigned == 1 && bb.updates == 0 {
			s.wrappers[name] = bb.w
		}
	}
	if exportsSeen && exportsOK {
		s.fi.Exports, s.fi.HasExports = exports, true
	}
	return bound
}

// statements splits a logical line into its simple statements at `;`
// (outside brackets), as token ranges [a, b).
func (s *fileScanner) statements(l logLine) [][2]int32 {
	var out [][2]int32
	depth := 0
	a := l.first
	for i := l.first; i < l.last; i++ {
		k := s.t.toks[i]
		if k.kind != tkOp {
			continue
		}
		switch s.t.src[k.start] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ';':
			if depth == 0 && k.end-k.start == 1 {
				if i > a {
					out = append(out, [2]int32{a, i})
				}
				a = i + 1
			}
		}
	}
	if a < l.last {
		out = append(out, [2]int32{a, l.last})
	}
	return out
}

// assignment reads a simple statement [a, b) starting with a name as a
// binding: targets, the first token of what they take their value from,
// and the kind: "assign" (`x = ...`, `x: T = ...`, `a, b = c = ...`),
// "update" (`x[k] = ...`, `x.y = ...`, `x += ...`), "call"
// (`x.method(...)`) or "" (not a binding).
func (s *fileScanner) assignment(a, b int32) (targets []string, rhs int32, kind string) {
	toks := s.t.toks
	var eqs []int32
	depth := 0
	for i := a; i < b; i++ {
		k := toks[i]
		if k.kind == tkName && depth == 0 && s.is(i, "lambda") {
			break // `f = lambda x=1: x`: what follows is its value
		}
		if k.kind != tkOp {
			continue
		}
		switch c := s.t.src[k.start]; {
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case depth == 0 && k.end-k.start == 1 && c == '=':
			eqs = append(eqs, i)
		case depth == 0 && i == a+1 && k.end-k.start >= 2 && s.t.src[k.end-1] == '=' &&
			!s.is(i, "==") && !s.is(i, "<=") && !s.is(i, ">=") && !s.is(i, "!=") && !s.is(i, ":="):
			return []string{s.text(toks[a])}, i + 1, "update" // x += ...
		}
	}
	if len(eqs) == 0 {
		// x.method(...): an update of x if x is bound here.
		if a+3 < b && s.is(a+1, ".") && toks[a+2].kind == tkName && s.is(a+3, "(") {
			return []string{s.text(toks[a])}, a + 4, "call"
		}
		return nil, 0, ""
	}
	kind = "assign"
	lo := a
	for _, eq := range eqs {
		switch {
		case eq == lo+1 && toks[lo].kind == tkName:
			targets = append(targets, s.text(toks[lo]))
		case toks[lo].kind == tkName && lo+1 < eq && (s.is(lo+1, "[") || s.is(lo+1, ".")):
			targets = append(targets, s.text(toks[lo]))
			kind = "update"
		case toks[lo].kind == tkName && lo+1 < eq && s.is(lo+1, ":") && len(eqs) == 1:
			targets = append(targets, s.text(toks[lo]))
		default: // a, b = ... or (a, b) = ... or [a, *b] = ...
			var names []string
			for i := lo; i < eq; i++ {
				k := toks[i]
				switch {
				case k.kind == tkName:
					names = append(names, s.text(k))
				case s.isOp(k, ',') || s.isOp(k, '(') || s.isOp(k, ')') || s.isOp(k, '[') || s.isOp(k, ']') || s.isOp(k, '*'):
				default:
					return nil, 0, "" // a subscript, attribute or call among the targets
				}
			}
			targets = append(targets, names...)
		}
		lo = eq + 1
	}
	for _, t := range targets {
		if isKeyword([]byte(t)) {
			return nil, 0, ""
		}
	}
	return targets, eqs[len(eqs)-1] + 1, kind
}

// wrapperOf reads a right-hand side [a, b): a dotted name alone (an
// alias), or a call `callee(first, ...)`.
func (s *fileScanner) wrapperOf(a, b int32) wrapper {
	name, i := s.dottedAt(a, b)
	if name == "" {
		return wrapper{}
	}
	if i == b {
		return wrapper{alias: name}
	}
	if !s.is(i, "(") || !s.is(b-1, ")") {
		return wrapper{}
	}
	w := wrapper{callee: name}
	if first, j := s.dottedAt(i+1, b); first != "" && (s.is(j, ",") || j == b-1) {
		w.first = first
	}
	return w
}

// exportsOf reads a statement about __all__ starting at a: `__all__ =
// [...]`, `__all__ += [...]`, `__all__.extend([...])`,
// `__all__.append("x")`; ok is false for anything but string literals.
func (s *fileScanner) exportsOf(a, b int32) (names []string, ok bool) {
	i := a + 1
	switch {
	case i < b && (s.is(i, "=") || s.is(i, "+=")):
		i++
	case i+3 < b && s.is(i, ".") && (s.is(i+1, "extend") || s.is(i+1, "append")) && s.is(i+2, "("):
		i += 3
		b-- // the closing parenthesis
	default:
		return nil, false
	}
	for ; i < b; i++ {
		k := s.t.toks[i]
		if k.kind == tkString {
			v, ok := s.literal(k)
			if !ok {
				return nil, false
			}
			names = append(names, v)
			continue
		}
		if !(s.isOp(k, '[') || s.isOp(k, ']') || s.isOp(k, '(') || s.isOp(k, ')') || s.isOp(k, ',')) {
			return nil, false
		}
	}
	return names, true
}

// maxWrapperDepth bounds how many wrappers of wrappers are followed.
const maxWrapperDepth = 4

// factories marks the defs decorated by a factory decorator: a default or
// configured one, or a module-level wrapper built on one.
func (s *fileScanner) factories() {
	for i := range s.fi.Defs {
		d := &s.fi.Defs[i]
		for _, dec := range d.Decorators {
			if m := s.maker(dec, 0); m != "" {
				d.Factory, d.Maker = true, m
				break
			}
		}
	}
}

// maker returns how the decorator name makes factories, "" if it does
// not: the name itself for a factory decorator, else the wrapper chain.
func (s *fileScanner) maker(name string, depth int) string {
	if name == "" {
		return ""
	}
	if s.isFactoryDecorator(name) {
		return name
	}
	w, ok := s.wrappers[name]
	if !ok || depth >= maxWrapperDepth {
		return ""
	}
	switch {
	case w.alias != "":
		if m := s.maker(w.alias, depth+1); m != "" {
			return name + " = " + m
		}
	case w.callee != "" && (w.callee == "partial" || strings.HasSuffix(w.callee, ".partial")):
		if m := s.maker(w.first, depth+1); m != "" {
			return name + " = partial(" + m + ")"
		}
	case w.callee != "":
		if m := s.maker(w.callee, depth+1); m != "" {
			return name + " = " + m + "(...)"
		}
	}
	return ""
}
