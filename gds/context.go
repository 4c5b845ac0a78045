package gds

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// KLayout's context cell. KLayout (0.28 and later, and kfactory through it)
// writes a cell named $$$CONTEXT_INFO$$$ that holds no geometry of the
// design: each SREF in it points at the user cell it describes, and that
// SREF's properties are strings such as
//
//	META('kfactory:settings:function_name')='straight'
//	META('kfactory:settings:npoints')=#l2
//	META('kfactory:info:length')=##1.234
//
// A BOUNDARY in it carries library-wide metadata the same way. lywatch
// decodes each META('key')=value into Cell.Meta[key] (or Library.Meta),
// the value being KLayout's parsable variant text: a quoted string is
// unquoted and unescaped, #l, #u and # integers and ## reals lose their
// prefix, nil becomes "", anything else ([layer:1/0], [trans:r0 0,0], lists)
// stays as written. Other strings (KLayout's older LIB=, P(...), PCELL=
// context) are kept as "context:N" -> text, N being the PROPATTR.

// finish takes the context cell out, decodes it and checks the hierarchy.
func (l *Library) finish() error {
	cells := l.Cells[:0]
	seen := make(map[string]*Cell, len(l.Cells))
	for _, c := range l.Cells {
		if c.Name == ContextCellName && l.Context == nil {
			l.Context = c
			continue
		}
		if prev := seen[c.Name]; prev != nil {
			return &FormatError{Offset: c.offset, Record: recBGNSTR, DataType: dtInt16, HasRecord: true,
				Msg: fmt.Sprintf("second cell named %q (the first at offset %d)", c.Name, prev.offset)}
		}
		seen[c.Name] = c
		cells = append(cells, c)
	}
	l.Cells = cells
	l.index = seen
	l.addGhosts()
	if l.Context != nil {
		l.decodeContext()
	}
	idx := make(map[string]int, len(l.Cells))
	for i, c := range l.Cells {
		idx[c.Name] = i
	}
	_, err := l.bottomUp(idx)
	return err
}

// addGhosts adds a ghost cell (see Cell.Ghost) for each name that cells
// place but no cell defines, with a warning at its first reference, as
// KLayout's reader does.
func (l *Library) addGhosts() {
	n := len(l.Cells)
	added := false
	for _, c := range l.Cells[:n] {
		for i := range c.Refs {
			r := &c.Refs[i]
			if l.index[r.Name] != nil {
				continue
			}
			g := &Cell{Name: r.Name, Ghost: true, offset: r.offset}
			l.Cells = append(l.Cells, g)
			l.index[r.Name] = g
			l.Warnings = append(l.Warnings, Warning{Offset: r.offset, Record: refRecord(r), Ghost: r.Name,
				Msg: fmt.Sprintf("cell %q places %q, which the file does not define: read as an empty ghost cell, as KLayout does", c.Name, r.Name)})
			added = true
		}
	}
	if added {
		slices.SortStableFunc(l.Warnings, func(a, b Warning) int { return cmp.Compare(a.Offset, b.Offset) })
	}
}

func (l *Library) decodeContext() {
	ctx := l.Context
	for i := range ctx.Shapes {
		if len(ctx.Shapes[i].Props) == 0 {
			continue
		}
		if l.Meta == nil {
			l.Meta = make(map[string]string)
		}
		decodeMetaProps(l.Meta, ctx.Shapes[i].Props)
	}
	for i := range ctx.Refs {
		r := &ctx.Refs[i]
		c := l.index[r.Name]
		if c == nil {
			l.Warnings = append(l.Warnings, Warning{Offset: r.offset, Record: recSREF,
				Msg: fmt.Sprintf("context information for missing cell %q ignored", r.Name)})
			continue
		}
		if len(r.Props) == 0 {
			continue
		}
		if c.Meta == nil {
			c.Meta = make(map[string]string)
		}
		decodeMetaProps(c.Meta, r.Props)
	}
}

func decodeMetaProps(m map[string]string, props []Property) {
	for _, p := range props {
		if k, v, ok := parseMeta(p.Value); ok {
			m[k] = v
			continue
		}
		m["context:"+strconv.Itoa(int(p.Attr))] = p.Value
	}
}

// parseMeta splits META('key')=value into key and decoded value.
func parseMeta(s string) (key, value string, ok bool) {
	rest, ok := strings.CutPrefix(s, "META(")
	if !ok || len(rest) == 0 {
		return "", "", false
	}
	key, rest, ok = unquote(rest)
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutPrefix(rest, ")=")
	if !ok {
		return "", "", false
	}
	return key, decodeVariant(rest), true
}

// unquote reads a KLayout-quoted string ('...' or "..." with backslash
// escapes) from the start of s and returns it and what follows.
func unquote(s string) (str, rest string, ok bool) {
	if len(s) == 0 || (s[0] != '\'' && s[0] != '"') {
		return "", s, false
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == q:
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}

// decodeVariant turns KLayout's parsable variant text into plain text.
func decodeVariant(v string) string {
	if s, rest, ok := unquote(v); ok && rest == "" {
		return s
	}
	switch {
	case v == "nil":
		return ""
	case strings.HasPrefix(v, "##"):
		return v[2:]
	case strings.HasPrefix(v, "#l"), strings.HasPrefix(v, "#u"):
		if _, err := strconv.ParseFloat(v[2:], 64); err == nil {
			return v[2:]
		}
	case strings.HasPrefix(v, "#"):
		if _, err := strconv.ParseFloat(v[1:], 64); err == nil {
			return v[1:]
		}
	}
	return v
}
