package watcher

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Pattern is one parsed line of a .gitignore file.
type Pattern struct {
	segs     []string // slash-separated segments; "**" matches any number of them
	negate   bool     // "!pattern": re-include
	dirOnly  bool     // "pattern/": directories only
	anchored bool     // contained a slash: relative to the file's directory
}

// ParsePattern parses one line of a .gitignore file. ok is false for blank
// lines, comments and patterns that cannot match anything (a malformed
// character class, for example).
func ParsePattern(line string) (p Pattern, ok bool) {
	for { // CRs of CRLF files and unescaped trailing spaces
		t := trimTrailingSpaces(strings.TrimRight(line, "\r"))
		if t == line {
			break
		}
		line = t
	}
	if line == "" || line[0] == '#' {
		return p, false
	}
	if line[0] == '!' {
		p.negate = true
		line = line[1:]
	}
	for strings.HasSuffix(line, "/") {
		p.dirOnly = true
		line = line[:len(line)-1]
	}
	if strings.Contains(line, "/") {
		p.anchored = true
		line = strings.TrimLeft(line, "/")
	}
	if line == "" {
		return p, false
	}
	for _, s := range strings.Split(line, "/") {
		if s == "" || (s == "**" && len(p.segs) > 0 && p.segs[len(p.segs)-1] == "**") {
			continue
		}
		s = bangClass(s)
		if _, err := path.Match(s, ""); err != nil {
			return p, false
		}
		p.segs = append(p.segs, s)
	}
	if len(p.segs) == 1 && p.segs[0] == "**" {
		p.anchored = false
	}
	return p, len(p.segs) > 0
}

// trimTrailingSpaces removes trailing spaces unless escaped with a backslash.
func trimTrailingSpaces(s string) string {
	for strings.HasSuffix(s, " ") {
		t := s[:len(s)-1]
		// Count the backslashes before the space: an odd number escapes it.
		n := 0
		for i := len(t) - 1; i >= 0 && t[i] == '\\'; i-- {
			n++
		}
		if n%2 == 1 {
			return s
		}
		s = t
	}
	return s
}

// bangClass turns fnmatch's "[!...]" into path.Match's "[^...]".
func bangClass(s string) string {
	if !strings.Contains(s, "[!") {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(b)-1; i++ {
		if b[i] == '\\' {
			i++
			continue
		}
		if b[i] == '[' && b[i+1] == '!' {
			b[i+1] = '^'
		}
	}
	return string(b)
}

// String returns the pattern in .gitignore syntax.
func (p Pattern) String() string {
	var b strings.Builder
	if p.negate {
		b.WriteByte('!')
	}
	if p.anchored && (len(p.segs) == 1 || p.segs[0] != "**") {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(p.segs, "/"))
	if p.dirOnly {
		b.WriteByte('/')
	}
	return b.String()
}

// Match reports whether the pattern matches rel, a slash-separated path
// relative to the directory of the .gitignore file; isDir says whether rel
// names a directory.
func (p Pattern) Match(rel string, isDir bool) bool {
	if p.dirOnly && !isDir {
		return false
	}
	if !p.anchored {
		if p.segs[0] == "**" {
			return true
		}
		return matchSeg(p.segs[0], rel[strings.LastIndexByte(rel, '/')+1:])
	}
	return matchSegs(p.segs, rel)
}

// matchSegs matches pattern segments against the rest of a slash-separated path.
func matchSegs(segs []string, rel string) bool {
	for len(segs) > 0 {
		if segs[0] == "**" {
			if len(segs) == 1 {
				return rel != "" // "a/**" matches what is inside a, not a itself
			}
			for {
				if matchSegs(segs[1:], rel) {
					return true
				}
				i := strings.IndexByte(rel, '/')
				if i < 0 {
					return false
				}
				rel = rel[i+1:]
			}
		}
		if rel == "" {
			return false
		}
		head, tail := rel, ""
		if i := strings.IndexByte(rel, '/'); i >= 0 {
			head, tail = rel[:i], rel[i+1:]
		}
		if !matchSeg(segs[0], head) {
			return false
		}
		segs, rel = segs[1:], tail
	}
	return rel == ""
}

// matchSeg matches one path segment. The common shapes, a literal, "*.ext"
// and "prefix*", skip path.Match.
func matchSeg(pattern, name string) bool {
	const meta = `*?[\`
	i := strings.IndexAny(pattern, meta)
	switch {
	case i < 0:
		return pattern == name
	case i == 0 && pattern[0] == '*' && !strings.ContainsAny(pattern[1:], meta):
		return strings.HasSuffix(name, pattern[1:])
	case i == len(pattern)-1 && pattern[i] == '*':
		return strings.HasPrefix(name, pattern[:i])
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

// Rules is the parsed content of one .gitignore (or info/exclude) file.
type Rules struct {
	patterns []Pattern
}

// ParseRules parses the content of a .gitignore file. Lines that are blank,
// comments or malformed are skipped; name is only used in errors.
func ParseRules(name string, data []byte) (*Rules, error) {
	r := &Rules{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if p, ok := ParsePattern(sc.Text()); ok {
			r.patterns = append(r.patterns, p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return r, nil
}

// mustRules parses patterns given one per string; for built-in lists.
func mustRules(lines []string) *Rules {
	r := &Rules{}
	for _, l := range lines {
		if p, ok := ParsePattern(l); ok {
			r.patterns = append(r.patterns, p)
		}
	}
	return r
}

// Match reports whether the last pattern that matches rel ignores it
// (matched is false when no pattern matches at all).
func (r *Rules) Match(rel string, isDir bool) (ignored, matched bool) {
	if r == nil {
		return false, false
	}
	for i := len(r.patterns) - 1; i >= 0; i-- {
		if p := &r.patterns[i]; p.Match(rel, isDir) {
			return !p.negate, true
		}
	}
	return false, false
}

// Len returns the number of patterns.
func (r *Rules) Len() int { return len(r.patterns) }
