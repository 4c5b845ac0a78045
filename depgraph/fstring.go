package depgraph

// scanString consumes a string literal whose opening quote is at t.pos.
// f-strings follow PEP 701: replacement fields may hold any expression,
// including strings with the same quote, comments and line breaks; the
// names in them are recorded in t.inner.
func (t *tokenizer) scanString(raw, f bool) {
	src := t.src
	q := src[t.pos]
	triple := hasAt(src, t.pos, string([]byte{q, q, q}))
	startLine := t.line
	if triple {
		t.pos += 3
	} else {
		t.pos++
	}
	if f {
		t.nest++
		if t.nest > maxNest {
			t.fail(startLine, "f-strings nested too deeply")
			return
		}
		t.scanFString(q, triple, raw, startLine)
		t.nest--
		return
	}
	for {
		if t.pos >= len(src) {
			t.unterminated(triple, startLine)
			return
		}
		c := src[t.pos]
		switch {
		case c == q:
			if !triple {
				t.pos++
				return
			}
			if hasAt(src, t.pos, string([]byte{q, q, q})) {
				t.pos += 3
				return
			}
			t.pos++
		case c == '\\':
			t.escape()
		case c == '\n' || c == '\r':
			if !triple {
				t.unterminated(false, startLine)
				return
			}
			t.newline()
		default:
			t.pos++
		}
	}
}

func (t *tokenizer) unterminated(triple bool, line int32) {
	if triple {
		t.fail(line, "unterminated triple-quoted string literal")
	} else {
		t.fail(line, "unterminated string literal")
	}
}

// escape consumes a backslash and the character after it.
func (t *tokenizer) escape() {
	t.pos++
	if t.pos >= len(t.src) {
		return
	}
	if c := t.src[t.pos]; c == '\n' || c == '\r' {
		t.newline()
		return
	}
	t.pos++
}

// fstringBreak consumes a line break in an f-string's literal part: only
// a triple-quoted one may hold it.
func (t *tokenizer) fstringBreak(triple bool, startLine int32) {
	if !triple {
		t.fail(startLine, "unterminated f-string literal")
		return
	}
	t.newline()
}

func (t *tokenizer) closes(q byte, triple bool) bool {
	if t.src[t.pos] != q {
		return false
	}
	return !triple || hasAt(t.src, t.pos, string([]byte{q, q, q}))
}

func (t *tokenizer) scanFString(q byte, triple, raw bool, startLine int32) {
	src := t.src
	for t.err == nil {
		if t.pos >= len(src) {
			t.unterminated(triple, startLine)
			return
		}
		c := src[t.pos]
		switch {
		case t.closes(q, triple):
			if triple {
				t.pos += 3
			} else {
				t.pos++
			}
			return
		case c == '\\':
			switch {
			case !raw && hasAt(src, t.pos, `\N{`):
				for t.pos < len(src) && src[t.pos] != '}' && src[t.pos] != q {
					t.pos++
				}
				if t.pos < len(src) && src[t.pos] == '}' {
					t.pos++
				}
			case t.pos+1 < len(src) && (src[t.pos+1] == '{' || src[t.pos+1] == '}'):
				t.pos++ // the brace keeps its meaning
			default:
				t.escape()
			}
		case c == '\n' || c == '\r':
			t.fstringBreak(triple, startLine)
		case c == '{':
			if hasAt(src, t.pos, "{{") {
				t.pos += 2
				continue
			}
			t.pos++
			t.scanField(q, triple, startLine)
		case c == '}':
			if hasAt(src, t.pos, "}}") {
				t.pos += 2
			} else {
				t.pos++
			}
		default:
			t.pos++
		}
	}
}

// scanField consumes a replacement field after its '{'.
func (t *tokenizer) scanField(q byte, triple bool, startLine int32) {
	end := t.scanExpr(startLine)
	if end == '!' {
		t.pos++
		t.scanIdent()
		if t.pos >= len(t.src) {
			t.fail(startLine, "f-string: expecting '}'")
			return
		}
		end = t.src[t.pos]
	}
	switch end {
	case ':':
		t.pos++
		t.scanSpec(q, triple, startLine)
	case '}':
		t.pos++
	}
}

// scanSpec consumes a format spec up to and including the '}' that closes
// its field; nested fields are scanned as fields.
func (t *tokenizer) scanSpec(q byte, triple bool, startLine int32) {
	src := t.src
	for t.err == nil {
		if t.pos >= len(src) {
			t.fail(startLine, "f-string: expecting '}'")
			return
		}
		c := src[t.pos]
		switch {
		case c == '{':
			t.pos++
			t.scanField(q, triple, startLine)
		case c == '}':
			t.pos++
			return
		case t.closes(q, triple):
			return // malformed; let the string end here
		case c == '\\':
			t.escape()
		case c == '\n' || c == '\r':
			t.fstringBreak(triple, startLine)
		default:
			t.pos++
		}
	}
}

// scanExpr consumes the expression of a replacement field and returns the
// character that ends it ('}', '!' or ':', not consumed), or 0 on error.
func (t *tokenizer) scanExpr(startLine int32) byte {
	src := t.src
	depth := 0
	for t.err == nil {
		if t.pos >= len(src) {
			t.fail(startLine, "f-string: expecting '}'")
			return 0
		}
		c := src[t.pos]
		start, line := t.pos, t.line
		switch {
		case c == ' ' || c == '\t' || c == '\f':
			t.pos++
		case c == '\n' || c == '\r':
			t.newline()
		case c == '#':
			t.skipComment()
		case c == '\\':
			t.escape()
		case c == '"' || c == '\'':
			t.scanString(false, false)
		case isDigit(c):
			t.scanNumber()
		case isIdentStart(c):
			if !t.scanIdent() {
				t.fail(t.line, "invalid character in f-string expression")
				return 0
			}
			if t.pos < len(src) && (src[t.pos] == '"' || src[t.pos] == '\'') {
				if ok, raw, f := stringPrefix(src[start:t.pos]); ok {
					t.scanString(raw, f)
					continue
				}
			}
			t.inner = append(t.inner, token{kind: tkName, start: int32(start), end: int32(t.pos), line: line, endLine: line})
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']':
				depth--
			case '}':
				if depth <= 0 {
					return '}'
				}
				depth--
			case '!':
				if depth <= 0 && !hasAt(src, t.pos, "!=") {
					return '!'
				}
			case ':':
				if depth <= 0 {
					return ':'
				}
			}
			if c == '!' && hasAt(src, t.pos, "!=") {
				t.pos++
			}
			t.pos++
			t.inner = append(t.inner, token{kind: tkOp, start: int32(start), end: int32(t.pos), line: line, endLine: line})
		}
	}
	return 0
}
