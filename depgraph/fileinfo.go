package depgraph

// FileInfo is what the scanner learns about one Python file. It is plain
// data: the session cache stores it, and FromSnapshot rebuilds a graph from
// it without reading the sources again.
type FileInfo struct {
	Path     string   `json:"path"`               // slash-separated, relative to Options.Dir (absolute for a file of an editable install outside it)
	Module   string   `json:"module"`             // dotted module name ("pkg" for pkg/__init__.py)
	Package  bool     `json:"package,omitzero"`   // the file is a package's __init__.py
	Hash     string   `json:"hash"`               // hex SHA-256 of the file's bytes
	Err      string   `json:"err,omitzero"`       // scan error "path:line: message"; Defs are the last good ones
	Note     string   `json:"note,omitzero"`      // why the file was not scanned (over the size limit): tracked by hash only
	TopHash  string   `json:"top_hash"`           // token hash of the module's top-level code
	TopRefs  []string `json:"top_refs,omitzero"`  // names used by top-level code ("f(" when called)
	MainRefs []string `json:"main_refs,omitzero"` // names used under if __name__ == "__main__"
	// TopInputs are the project files that top-level statements other
	// than assignments name (see Def.Inputs).
	TopInputs []string  `json:"top_inputs,omitzero"`
	Imports   []Import  `json:"imports,omitzero"`
	Defs      []Def     `json:"defs,omitzero"`
	Bindings  []Binding `json:"bindings,omitzero"`
	// Exports is the module's __all__ when it is a literal list of
	// strings (HasExports): what a star import of the module binds.
	// Without one a star import binds every name not starting with "_".
	Exports    []string `json:"exports,omitzero"`
	HasExports bool     `json:"has_exports,omitzero"`
	// Paths are the string literals (joined as paths when written as
	// `"a" / "b"` or `join(..., "a", "b")`) that look like file names,
	// found anywhere in the file; a file created later with one of these
	// names makes the file be scanned again.
	Paths []string `json:"paths,omitzero"`

	topPaths []string // path-like literals of TopInputs, before resolution
}

// Import is one imported module or name list, as Python's ast sees it:
// `import a.b as c` is Import{Module: "a.b", Alias: "c"}; `from ..a import
// b as c, d` is Import{Module: "a", Level: 2, Names: ["b", "d"], Aliases:
// ["c", ""]}; a star import has Names ["*"].
type Import struct {
	Module  string   `json:"module"`
	Names   []string `json:"names,omitzero"`   // nil for a plain `import`
	Aliases []string `json:"aliases,omitzero"` // per name ("" when none); for a plain import, [alias]
	Level   int      `json:"level,omitzero"`
	Line    int      `json:"line"`
	InDef   string   `json:"in_def,omitzero"` // the top-level def it is inside, "" at module level
}

// From reports whether the import is a `from ... import` statement.
func (im Import) From() bool { return im.Names != nil }

// Def is a top-level function or class, or a method of a class. Line is
// the line of `def`/`class` (not of the first decorator, as in Python's
// ast), EndLine the last line of its body, Start the line of its first
// decorator.
//
// Refs are the dotted name chains its tokens use ("f(" when called), the
// attributes of other expressions (".m", as in `f().m`) and the string
// literals that look like names ("'bend_euler"). For a class, Refs and
// BodyHash cover the class statement outside its methods (decorators,
// bases, class attributes); Hash covers all of it.
type Def struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // "def" or "class" ("def" includes async def)
	Start      int      `json:"start"`
	Line       int      `json:"line"`
	EndLine    int      `json:"end_line"`
	Decorators []string `json:"decorators,omitzero"` // dotted names, without arguments
	Factory    bool     `json:"factory,omitzero"`
	// Maker is the decorator that made it a factory, as written
	// ("gf.cell_with_module_name"), or for a module-private wrapper the
	// wrapper and what it is built on ("_cell = partial(cell)").
	Maker    string   `json:"maker,omitzero"`
	Hash     string   `json:"hash"`
	BodyHash string   `json:"body_hash,omitzero"` // a class's hash outside its methods
	Refs     []string `json:"refs,omitzero"`
	// Inputs are the project files its string literals name (a path
	// relative to its module's directory or an enclosing one, up to the
	// project directory), slash paths relative to Options.Dir.
	Inputs  []string `json:"inputs,omitzero"`
	Methods []Def    `json:"methods,omitzero"` // a class's methods (defs directly in its body)

	paths []string // path-like literals, resolved into Inputs by the graph
}

// Binding is a module-level name bound by assignment (`X = ...`,
// `X: T = ...`, `a, b = ...`), with what its right-hand sides use. A name
// assigned more than once, or also updated in place (`X[k] = v`,
// `X += ...`, `X.update(...)`), has one Binding with every use merged.
// Alias is the dotted name it is bound to when that is its only
// assignment (`c = components`, `taper_function = taper`): resolution
// follows it.
type Binding struct {
	Name   string   `json:"name"`
	Line   int      `json:"line"`
	Alias  string   `json:"alias,omitzero"`
	Refs   []string `json:"refs,omitzero"`
	Inputs []string `json:"inputs,omitzero"`

	paths []string
}
