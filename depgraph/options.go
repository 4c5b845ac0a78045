package depgraph

import "fmt"

// Granularity is the unit an edit invalidates before the closure.
type Granularity int

const (
	// GranularityFunction invalidates the definitions whose own tokens
	// changed (and every definition of a module whose top-level code did).
	GranularityFunction Granularity = iota
	// GranularityFile invalidates every definition of a changed file, as
	// kfactory's session cache does; for comparison.
	GranularityFile
)

func (g Granularity) String() string {
	if g == GranularityFile {
		return "file"
	}
	return "function"
}

// ParseGranularity parses "function" (or "") and "file".
func ParseGranularity(s string) (Granularity, error) {
	switch s {
	case "", "function":
		return GranularityFunction, nil
	case "file":
		return GranularityFile, nil
	}
	return 0, fmt.Errorf("depgraph: unknown granularity %q (want function or file)", s)
}

// Target is one build target: its name, the command that builds it, the
// layout it writes and its entry files (relative to Options.Dir). A change
// rebuilds only the targets it reaches; a target without entry files is
// reached by every change.
type Target struct {
	Name    string   `json:"name"`
	Command string   `json:"command,omitzero"`
	Output  string   `json:"output,omitzero"`
	Entries []string `json:"entries,omitzero"`
}

// Options configure Scan and FromSnapshot.
type Options struct {
	// Dir is the project directory; every .py file under it is scanned.
	// Default ".".
	Dir string
	// Roots are the import roots (relative to Dir or absolute) that module
	// names are taken from. Default: Dir, and Dir/src when it exists.
	Roots []string
	// Decorators mark factories, matched against the whole dotted
	// decorator name or its last part. Default DefaultDecorators().
	Decorators []string
	// Targets are the build targets.
	Targets []Target
	// Granularity selects function (default) or whole-file invalidation.
	Granularity Granularity
	// Exclude lists directory names never entered. Default
	// DefaultExclude(); directories whose name starts with "." are
	// always skipped.
	Exclude []string
}

// DefaultExclude returns the directory names skipped by default.
func DefaultExclude() []string {
	return []string{"__pycache__", "build", "dist", "venv", "env", "node_modules", "site-packages", "dist-packages"}
}
