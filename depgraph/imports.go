package depgraph

// importStmt is one import statement found in a logical line: its token
// range [lo, hi) and what it imports (one Import per alias for a plain
// `import a, b`).
type importStmt struct {
	lo, hi  int32
	imports []Import
}

// importStatements finds the import statements of a logical line: an
// `import` or `from` keyword at bracket depth 0 that starts the line or
// follows `;` or a compound statement's `:` (`try: import x`).
func (s *fileScanner) importStatements(l logLine) []importStmt {
	var out []importStmt
	depth := 0
	for i := l.first; i < l.last; i++ {
		k := s.t.toks[i]
		if k.kind == tkOp {
			switch s.t.src[k.start] {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
			continue
		}
		if k.kind != tkName || depth != 0 {
			continue
		}
		if i > l.first && !s.is(i-1, ";") && !s.is(i-1, ":") {
			continue
		}
		var st importStmt
		var ok bool
		if s.is(i, "import") {
			st, ok = s.parseImport(i, l.last)
		} else if s.is(i, "from") {
			st, ok = s.parseFrom(i, l.last)
		}
		if ok {
			out = append(out, st)
			i = st.hi - 1
		}
	}
	return out
}

func (s *fileScanner) line(i int32) int { return int(s.t.toks[i].line) }

// dottedAt reads NAME(.NAME)* at i and returns it and the index after it.
func (s *fileScanner) dottedAt(i, end int32) (string, int32) {
	name := ""
	for i < end && s.t.toks[i].kind == tkName {
		name += s.text(s.t.toks[i])
		if i+2 < end && s.is(i+1, ".") && s.t.toks[i+2].kind == tkName {
			name += "."
			i += 2
			continue
		}
		i++
		break
	}
	return name, i
}

// alias reads an optional `as NAME` at i.
func (s *fileScanner) alias(i, end int32) (string, int32) {
	if i+1 < end && s.is(i, "as") && s.t.toks[i+1].kind == tkName {
		return s.text(s.t.toks[i+1]), i + 2
	}
	return "", i
}

func (s *fileScanner) parseImport(at, end int32) (importStmt, bool) {
	st := importStmt{lo: at}
	i := at + 1
	for i < end {
		name, j := s.dottedAt(i, end)
		if name == "" {
			break
		}
		a, j := s.alias(j, end)
		st.imports = append(st.imports, Import{Module: name, Aliases: []string{a}, Line: s.line(at)})
		i = j
		if i < end && s.is(i, ",") {
			i++
			continue
		}
		break
	}
	st.hi = i
	return st, len(st.imports) > 0
}

func (s *fileScanner) parseFrom(at, end int32) (importStmt, bool) {
	st := importStmt{lo: at}
	im := Import{Line: s.line(at)}
	i := at + 1
	for i < end {
		if s.is(i, ".") {
			im.Level++
		} else if s.is(i, "...") {
			im.Level += 3
		} else {
			break
		}
		i++
	}
	im.Module, i = s.dottedAt(i, end)
	if im.Module == "import" && im.Level > 0 { // `from . import x`
		im.Module = ""
		i--
	}
	if i >= end || !s.is(i, "import") || (im.Module == "" && im.Level == 0) {
		return st, false
	}
	i++
	paren := i < end && s.is(i, "(")
	if paren {
		i++
	}
	for i < end {
		if s.is(i, "*") {
			im.Names = append(im.Names, "*")
			im.Aliases = append(im.Aliases, "")
			i++
			break
		}
		if s.t.toks[i].kind != tkName {
			break
		}
		name := s.text(s.t.toks[i])
		a, j := s.alias(i+1, end)
		im.Names = append(im.Names, name)
		im.Aliases = append(im.Aliases, a)
		i = j
		if i < end && s.is(i, ",") {
			i++
			continue
		}
		break
	}
	if paren && i < end && s.is(i, ")") {
		i++
	}
	st.hi = i
	st.imports = []Import{im}
	return st, len(im.Names) > 0
}

// imports records every import statement of the file, noting the top-level
// def each one is inside.
func (s *fileScanner) imports(inDef []int) {
	for x, l := range s.t.lines {
		for _, st := range s.importStatements(l) {
			for _, im := range st.imports {
				if inDef[x] != 0 {
					im.InDef = s.fi.Defs[inDef[x]-1].Name
				}
				s.fi.Imports = append(s.fi.Imports, im)
			}
		}
	}
}
