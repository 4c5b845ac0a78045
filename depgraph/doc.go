// Package depgraph scans Python layout sources (kfactory/gdsfactory style
// factories) and keeps a dependency graph of files, module top-level code,
// functions, factories, cells and build targets, so that an edit invalidates
// exactly what it affects, and each invalidated node can say why.
//
// Scanning is pure Go: a Python tokenizer (all string forms including PEP 701
// f-strings, continuations, brackets across lines) feeds a small statement
// scanner that finds imports, top-level definitions with their line spans,
// decorators, referenced names and per-definition token hashes. Scan builds a
// Graph from a directory; (*Graph).Update rescans changed files and returns an
// Invalidation; (*Graph).Export and FromSnapshot turn the graph into plain
// data and back for the session cache.
package depgraph
