package klayout

import (
	"path/filepath"

	"github.com/lywatch/lywatch/ipc"
)

// Resolve returns the addresses a push goes to: explicit, when given (the
// repeatable --klayout); else the listening instance named name (the
// project directory, or the configuration's klayout_name); else the single
// instance listening; else ipc.DefaultAddr. The loop asks again before each
// push, so an instance started for the project later is found.
func Resolve(name string, explicit []string) []string {
	if len(explicit) > 0 {
		return explicit
	}
	live, _, err := List()
	if err != nil {
		return []string{ipc.DefaultAddr}
	}
	var listening, named []*Discovery
	for _, d := range live {
		if !d.Listening {
			continue
		}
		listening = append(listening, d)
		if name != "" && sameName(d.Name, name) {
			named = append(named, d)
		}
	}
	var out []string
	switch {
	case len(named) > 0:
		for _, d := range named {
			out = append(out, d.Addr())
		}
	case len(listening) == 1:
		out = append(out, listening[0].Addr())
	default:
		out = append(out, ipc.DefaultAddr)
	}
	return out
}

// sameName compares instance names; a name that is a path matches the same
// directory written another way.
func sameName(a, b string) bool {
	if a == b {
		return true
	}
	if filepath.IsAbs(a) && filepath.IsAbs(b) {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return false
}
