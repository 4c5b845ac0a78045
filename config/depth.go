package config

// MaxNesting is how deeply a configuration file may nest arrays and inline
// tables. lywatch's own settings need three levels; the limit is far above
// that and keeps the TOML parser, whose cost grows with the square of the
// nesting of inline tables, from spending seconds on a pathological file.
const MaxNesting = 32

// nestingLine returns the 1-based line where src first nests brackets ([ and
// {) deeper than limit, or 0 when it does not. Brackets inside strings and
// comments do not count; an unterminated string ends the scan (the parser
// reports it with its line).
func nestingLine(src string, limit int) int {
	depth, line := 0, 1
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line++
		case '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			end, lines, ok := skipString(src, i)
			if !ok {
				return 0
			}
			i, line = end, line+lines
		case '[', '{':
			if depth++; depth > limit {
				return line
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return 0
}

// skipString returns the index of the last byte of the string starting at
// src[i] (a quote), the number of line breaks in it, and false when it does
// not end. Basic strings (") take backslash escapes, literal ones (') not;
// tripled quotes make multi-line strings.
func skipString(src string, i int) (end, lines int, ok bool) {
	q := src[i]
	triple := len(src) >= i+3 && src[i+1] == q && src[i+2] == q
	j := i + 1
	if triple {
		j = i + 3
	}
	for ; j < len(src); j++ {
		switch c := src[j]; {
		case c == '\\' && q == '"':
			if j+1 < len(src) && src[j+1] == '\n' {
				lines++
			}
			j++
		case c == '\n':
			if !triple {
				return 0, 0, false
			}
			lines++
		case c == q:
			if !triple {
				return j, lines, true
			}
			if len(src) >= j+3 && src[j+1] == q && src[j+2] == q {
				// Up to two more quotes may belong to the string ("""a"""").
				end := j + 2
				for end+1 < len(src) && src[end+1] == q && end-j < 4 {
					end++
				}
				return end, lines, true
			}
		}
	}
	return 0, 0, false
}
