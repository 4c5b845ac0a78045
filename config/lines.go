package config

import (
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// keyLine returns the line where key k is set, in any table of its name;
// for a key inside an inline table, the line of the nearest key that has
// one.
func (f *fileReader) keyLine(k toml.Key) int {
	for ; len(k) > 0; k = k[:len(k)-1] {
		if line := f.keyLineN(k, -1); line > 0 {
			return line
		}
	}
	return 0
}

// keyLineN returns the 1-based line where key k is set, looking in the n-th
// table named like k's parent (the n-th [[array]] entry; n < 0: any), by
// scanning the source: TOML decoders keep no positions for values. A key
// missing from that table gives the table's header line; 0 when neither is
// found.
func (f *fileReader) keyLineN(k toml.Key, n int) int {
	if len(k) == 0 {
		return 0
	}
	parent := k[:len(k)-1]
	var cur []string
	seen := -1
	if len(parent) == 0 {
		seen = 0
	}
	fallback, header := 0, 0
	for i, line := range strings.Split(f.src, "\n") {
		t := strings.TrimSpace(stripComment(line))
		if strings.HasPrefix(t, "[") {
			cur = splitKey(strings.Trim(t, "[] \t"))
			if slices.Equal(cur, parent) {
				seen++
				if seen == n {
					header = i + 1
				}
			}
			continue
		}
		name, _, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		full := append(append([]string{}, cur...), splitKey(name)...)
		if !slices.Equal(full, k) {
			continue
		}
		if n < 0 || seen == n {
			return i + 1
		}
		if fallback == 0 {
			fallback = i + 1
		}
	}
	if header > 0 {
		return header
	}
	return fallback
}

// stripComment drops a # comment that is not inside a string.
func stripComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return s[:i]
		}
	}
	return s
}

// splitKey splits a dotted key, dropping spaces and quotes.
func splitKey(s string) []string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return parts
}
