package depgraph

// FileInfo is what the scanner learns about one Python file. It is plain
// data: the session cache stores it, and FromSnapshot rebuilds a graph from
// it without reading the sources again.
type FileInfo struct {
	Path     string   `json:"path"`               // slash-separated, relative to Options.Dir
	Module   string   `json:"module"`             // dotted module name ("pkg" for pkg/__init__.py)
	Package  bool     `json:"package,omitzero"`   // the file is a package's __init__.py
	Hash     string   `json:"hash"`               // hex SHA-256 of the file's bytes
	Err      string   `json:"err,omitzero"`       // scan error "path:line: message"; Defs are the last good ones
	TopHash  string   `json:"top_hash"`           // token hash of the module's top-level code
	TopRefs  []string `json:"top_refs,omitzero"`  // names used by top-level code ("f(" when called)
	MainRefs []string `json:"main_refs,omitzero"` // names used under if __name__ == "__main__"
	Imports  []Import `json:"imports,omitzero"`
	Defs     []Def    `json:"defs,omitzero"`
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

// Def is a top-level function or class. Line is the line of `def`/`class`
// (not of the first decorator, as in Python's ast), EndLine the last line of
// its body, Start the line of its first decorator.
type Def struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // "def" or "class" ("def" includes async def)
	Start      int      `json:"start"`
	Line       int      `json:"line"`
	EndLine    int      `json:"end_line"`
	Decorators []string `json:"decorators,omitzero"` // dotted names, without arguments
	Factory    bool     `json:"factory,omitzero"`
	Hash       string   `json:"hash"`
	Refs       []string `json:"refs,omitzero"` // dotted name chains used in its tokens ("f(" when called)
}
