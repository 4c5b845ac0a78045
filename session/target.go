package session

import (
	"errors"
	"fmt"
	"strings"
)

// checkTarget refuses names that cannot be targets.
func checkTarget(t string) error {
	if t == "" {
		return errors.New("session: empty target name")
	}
	return nil
}

// escapeTarget turns a target name into a directory name: letters, digits,
// '-', '_' and non-leading '.' stay, other bytes become %XX.
func escapeTarget(t string) string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// unescapeTarget reverses escapeTarget; ok is false for names it could not
// have made.
func unescapeTarget(name string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '%' {
			b.WriteByte(name[i])
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		var c byte
		if _, err := fmt.Sscanf(name[i+1:i+3], "%02X", &c); err != nil {
			return "", false
		}
		b.WriteByte(c)
		i += 2
	}
	t := b.String()
	return t, t != "" && escapeTarget(t) == name
}
