package depgraph

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token. Comments and whitespace produce no tokens.
type tokKind uint8

const (
	tkName tokKind = iota + 1
	tkNumber
	tkString
	tkOp
)

// token is one Python token: its kind and byte span in the source, and the
// lines it starts and ends on (1-based). Strings that are f-strings point at
// the names found in their replacement fields (inner[innerLo:innerHi]).
type token struct {
	kind             tokKind
	start, end       int32
	line, endLine    int32
	innerLo, innerHi int32
}

// logLine is one logical line: tokens [first, last), the column of its
// first token and its indentation depth (Python's INDENT/DEDENT count).
type logLine struct {
	first, last int32
	col, depth  int32
}

// SyntaxError is a file that is not valid UTF-8 or does not tokenize.
type SyntaxError struct {
	Path string // file, as given to the scanner
	Line int    // 1-based line of the problem
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
}

// tokenizer turns Python source into tokens and logical lines.
type tokenizer struct {
	src     []byte
	pos     int
	line    int32
	toks    []token
	inner   []token
	lines   []logLine
	brk     []byte  // open brackets
	brkLine []int32 // line of each open bracket
	indents []int32
	cur     int // index in lines of the open logical line, -1 if none
	err     *SyntaxError
	nest    int  // f-string nesting depth
	legacy  bool // PEP 263 declared a non-UTF-8 encoding
}

// maxNest bounds f-string nesting so hostile input cannot exhaust the stack.
const maxNest = 200

func (t *tokenizer) fail(line int32, format string, args ...any) {
	if t.err == nil {
		t.err = &SyntaxError{Line: int(line), Msg: fmt.Sprintf(format, args...)}
	}
	t.pos = len(t.src)
}

// tokenize scans src reusing t's buffers (a scanner reads many files). On
// failure it returns the error; the tokens read so far are kept but should
// not be trusted.
func (t *tokenizer) tokenize(src []byte) (*tokenizer, error) {
	*t = tokenizer{src: src, line: 1, cur: -1, indents: append(t.indents[:0], 0),
		toks: t.toks[:0], inner: t.inner[:0], lines: t.lines[:0], brk: t.brk[:0], brkLine: t.brkLine[:0]}
	if cap(t.toks) < len(src)/5 {
		t.toks = make([]token, 0, len(src)/5)
	}
	if cap(t.lines) < len(src)/40 {
		t.lines = make([]logLine, 0, len(src)/40)
	}
	if enc := codingCookie(src); enc != "" && !isUTF8Name(enc) {
		t.legacy = true // an ASCII-compatible 8-bit encoding: bytes >= 0x80 are letters
	} else if !utf8.Valid(src) {
		t.fail(invalidUTF8Line(src), "invalid UTF-8 (and no coding declaration)")
		return t, t.err
	}
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		t.pos = 3
	}
	t.run()
	if t.err == nil && len(t.brk) > 0 {
		t.fail(t.brkLine[len(t.brkLine)-1], "'%c' was never closed", t.brk[len(t.brk)-1])
	}
	t.closeLine()
	if t.err != nil {
		return t, t.err
	}
	return t, nil
}

func invalidUTF8Line(src []byte) int32 {
	line := int32(1)
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		i += n
	}
	return line
}

func (t *tokenizer) closeLine() {
	if t.cur >= 0 {
		t.lines[t.cur].last = int32(len(t.toks))
		t.cur = -1
	}
}

// openLine starts a logical line at the token about to be appended.
func (t *tokenizer) openLine(p int) {
	col := int32(0)
	i := p
	for i > 0 && t.src[i-1] != '\n' && t.src[i-1] != '\r' {
		i--
	}
	for ; i < p; i++ {
		switch t.src[i] {
		case ' ':
			col++
		case '\t':
			col = (col/8 + 1) * 8
		case '\f':
			col = 0
		default:
			// a backslash-continued blank start; keep counting
			col++
		}
	}
	for col < t.indents[len(t.indents)-1] {
		t.indents = t.indents[:len(t.indents)-1]
	}
	if col > t.indents[len(t.indents)-1] {
		t.indents = append(t.indents, col)
	}
	t.lines = append(t.lines, logLine{first: int32(len(t.toks)), col: col, depth: int32(len(t.indents) - 1)})
	t.cur = len(t.lines) - 1
}

func (t *tokenizer) emit(k tokKind, start int, line int32) {
	if t.cur < 0 {
		t.openLine(start)
	}
	t.toks = append(t.toks, token{kind: k, start: int32(start), end: int32(t.pos), line: line, endLine: t.line})
}

// newline consumes a line break (\n, \r\n or \r) at t.pos.
func (t *tokenizer) newline() {
	if t.src[t.pos] == '\r' && t.pos+1 < len(t.src) && t.src[t.pos+1] == '\n' {
		t.pos++
	}
	t.pos++
	t.line++
}

func (t *tokenizer) run() {
	src := t.src
	for t.pos < len(src) {
		c := src[t.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\f':
			t.pos++
		case c == '\n' || c == '\r':
			if len(t.brk) == 0 {
				t.closeLine()
			}
			t.newline()
		case c == '#':
			t.skipComment()
		case c == '\\':
			if t.pos+1 < len(src) && (src[t.pos+1] == '\n' || src[t.pos+1] == '\r') {
				t.pos++
				t.newline()
			} else if t.pos+1 >= len(src) {
				t.fail(t.line, "unexpected end of file after line continuation")
			} else {
				t.fail(t.line, "unexpected character after line continuation character")
			}
		case c == '"' || c == '\'':
			start, line := t.pos, t.line
			lo := int32(len(t.inner))
			t.scanString(false, false)
			t.emit(tkString, start, line)
			t.toks[len(t.toks)-1].innerLo, t.toks[len(t.toks)-1].innerHi = lo, int32(len(t.inner))
		case isDigit(c) || (c == '.' && t.pos+1 < len(src) && isDigit(src[t.pos+1])):
			start := t.pos
			t.scanNumber()
			t.emit(tkNumber, start, t.line)
		case isIdentStart(c):
			t.nameOrString()
		default:
			t.op()
		}
	}
}

func (t *tokenizer) skipComment() {
	for t.pos < len(t.src) && t.src[t.pos] != '\n' && t.src[t.pos] != '\r' {
		t.pos++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80
}

// scanIdent consumes an identifier at t.pos; false if the character there is
// not allowed in one.
func (t *tokenizer) scanIdent() bool {
	start := t.pos
	for t.pos < len(t.src) {
		c := t.src[t.pos]
		if c < 0x80 {
			if c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') {
				t.pos++
				continue
			}
			break
		}
		if t.legacy {
			t.pos++
			continue
		}
		r, n := utf8.DecodeRune(t.src[t.pos:])
		if !isIdentRune(r) {
			break
		}
		t.pos += n
	}
	return t.pos > start
}

func isIdentRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nl, unicode.Pc, unicode.Other_ID_Start, unicode.Other_ID_Continue)
}

// stringPrefix reports whether s is a valid string prefix and whether it
// makes a raw string and an f-string.
func stringPrefix(s []byte) (ok, raw, f bool) {
	if len(s) > 2 {
		return false, false, false
	}
	switch p := strings.ToLower(string(s)); p {
	case "r", "u", "b", "f", "rb", "br", "rf", "fr":
		return true, strings.Contains(p, "r"), strings.Contains(p, "f")
	}
	return false, false, false
}

func (t *tokenizer) nameOrString() {
	start, line := t.pos, t.line
	if !t.scanIdent() {
		r, _ := utf8.DecodeRune(t.src[t.pos:])
		t.fail(t.line, "invalid character '%c' (U+%04X)", r, r)
		return
	}
	if t.pos < len(t.src) && (t.src[t.pos] == '"' || t.src[t.pos] == '\'') {
		if ok, raw, f := stringPrefix(t.src[start:t.pos]); ok {
			lo := int32(len(t.inner))
			t.scanString(raw, f)
			t.emit(tkString, start, line)
			t.toks[len(t.toks)-1].innerLo, t.toks[len(t.toks)-1].innerHi = lo, int32(len(t.inner))
			return
		}
	}
	t.emit(tkName, start, line)
}

func (t *tokenizer) scanNumber() {
	src := t.src
	for t.pos < len(src) {
		c := src[t.pos]
		switch {
		case isDigit(c) || c == '_' || c == '.' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			if (c == 'e' || c == 'E') && t.pos+1 < len(src) && (src[t.pos+1] == '+' || src[t.pos+1] == '-') && !isHexNumber(src, t.pos) {
				t.pos++
			}
			t.pos++
		default:
			return
		}
	}
}

// isHexNumber reports whether the number containing position p began 0x.
func isHexNumber(src []byte, p int) bool {
	for p > 0 && (isDigit(src[p-1]) || src[p-1] == '_' || src[p-1]|0x20 >= 'a' && src[p-1]|0x20 <= 'z' || src[p-1] == '.') {
		p--
	}
	return p+1 < len(src) && src[p] == '0' && src[p+1]|0x20 == 'x'
}

// opLen returns the length of the operator at p: 3 for **= //= >>= <<=
// and ..., 2 for the two-character operators, else 1.
func opLen(src []byte, p int) int {
	if p+1 >= len(src) {
		return 1
	}
	c, d := src[p], src[p+1]
	var e byte
	if p+2 < len(src) {
		e = src[p+2]
	}
	switch {
	case (c == '*' || c == '/' || c == '>' || c == '<') && d == c && e == '=':
		return 3
	case c == '.' && d == '.' && e == '.':
		return 3
	case d == '=' && strings.IndexByte("=!<>+-*/%&|^@:", c) >= 0:
		return 2
	case (c == '*' || c == '/' || c == '<' || c == '>') && d == c:
		return 2
	case c == '-' && d == '>', c == '<' && d == '>':
		return 2
	}
	return 1
}

func (t *tokenizer) op() {
	src := t.src
	start, line := t.pos, t.line
	c := src[t.pos]
	switch c {
	case '(', '[', '{':
		t.brk = append(t.brk, c)
		t.brkLine = append(t.brkLine, t.line)
		t.pos++
		t.emit(tkOp, start, line)
		return
	case ')', ']', '}':
		want := byte('(')
		if c == ']' {
			want = '['
		} else if c == '}' {
			want = '{'
		}
		if len(t.brk) == 0 {
			t.fail(t.line, "unmatched '%c'", c)
			return
		}
		if t.brk[len(t.brk)-1] != want {
			t.fail(t.line, "closing parenthesis '%c' does not match opening parenthesis '%c' on line %d", c, t.brk[len(t.brk)-1], t.brkLine[len(t.brkLine)-1])
			return
		}
		t.brk = t.brk[:len(t.brk)-1]
		t.brkLine = t.brkLine[:len(t.brkLine)-1]
		t.pos++
		t.emit(tkOp, start, line)
		return
	}
	if n := opLen(src, t.pos); n > 1 {
		t.pos += n
		t.emit(tkOp, start, line)
		return
	}
	switch c {
	case '+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', '=', '.', ',', ':', ';', '!':
		t.pos++
		t.emit(tkOp, start, line)
	default:
		if c == 0 {
			t.fail(t.line, "source code cannot contain null bytes")
			return
		}
		t.fail(t.line, "invalid character '%c' (U+%04X)", c, c)
	}
}

func hasAt(src []byte, p int, s string) bool {
	if p+len(s) > len(src) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if src[p+i] != s[i] {
			return false
		}
	}
	return true
}

// codingCookie returns the encoding a PEP 263 declaration in the first two
// lines names ("" if none).
func codingCookie(src []byte) string {
	for n := 0; n < 2 && len(src) > 0; n++ {
		end := 0
		for end < len(src) && src[end] != '\n' && src[end] != '\r' {
			end++
		}
		line := strings.TrimLeft(string(src[:end]), " \t\f")
		if !strings.HasPrefix(line, "#") {
			if strings.TrimSpace(line) != "" || n == 1 {
				return ""
			}
		} else if i := strings.Index(line, "coding"); i >= 0 && i+6 < len(line) && (line[i+6] == ':' || line[i+6] == '=') {
			rest := strings.TrimLeft(line[i+7:], " \t")
			j := 0
			for j < len(rest) && (rest[j] == '-' || rest[j] == '_' || rest[j] == '.' || isDigit(rest[j]) || rest[j]|0x20 >= 'a' && rest[j]|0x20 <= 'z') {
				j++
			}
			return rest[:j]
		}
		if end < len(src) && src[end] == '\r' && end+1 < len(src) && src[end+1] == '\n' {
			end++
		}
		if end >= len(src) {
			break
		}
		src = src[end+1:]
	}
	return ""
}

func isUTF8Name(enc string) bool {
	e := strings.ToLower(strings.ReplaceAll(enc, "_", "-"))
	return e == "utf-8" || e == "utf8" || strings.HasPrefix(e, "utf-8-") || strings.HasPrefix(e, "utf8-")
}
