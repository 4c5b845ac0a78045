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
	// Decorators are more names that mark factories, besides
	// DefaultDecorators(), matched against the whole dotted decorator
	// name or its last part.
	Decorators []string
	// Targets are the build targets.
	Targets []Target
	// Granularity selects function (default) or whole-file invalidation.
	Granularity Granularity
	// Exclude lists directory names never entered. Default
	// DefaultExclude(); directories whose name starts with "." are
	// always skipped.
	Exclude []string
	// ExcludeGlobs are doublestar globs of slash paths relative to Dir
	// that the graph leaves out, files and directories alike
	// ("pdk/scratch/**"): the configuration's exclude, which the watcher
	// skips as well. A directory that matches is not entered.
	ExcludeGlobs []string
	// Include lists doublestar globs of non-Python files under Dir that
	// join the graph as data files ("**/*.pic.yml", "*.lyp": a glob
	// without a slash matches the base name anywhere). An edit to one
	// invalidates the code that names it; one no code names reaches
	// every target. Files that code names by a string literal are data
	// files whether they match or not.
	Include []string
	// SitePackages are the Python interpreter's site-packages
	// directories (site.getsitepackages() and the user site). Editable
	// installs they point to outside Dir (`.pth` files, setuptools'
	// `__editable__` finders, the editables package's redirectors) are
	// scanned and tracked like the project's own sources; other imports
	// are recorded with the version of the distribution that installs
	// them (see Packages and RefreshPackages).
	SitePackages []string
	// MaxFileSize is the size in bytes over which a .py file is not
	// scanned but tracked by its hash alone (see Notes). Default
	// DefaultMaxFileSize; negative: no limit.
	MaxFileSize int64
}

// DefaultMaxFileSize is the default Options.MaxFileSize: 4 MiB, far above
// any hand-written module and well below generated ones (a 50 MB table of
// coordinates).
const DefaultMaxFileSize = 4 << 20

// DefaultExclude returns the directory names skipped by default.
func DefaultExclude() []string {
	return []string{"__pycache__", "build", "dist", "venv", "env", "node_modules", "site-packages", "dist-packages"}
}

// sizeString says a size in bytes the way a person reads it.
func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
