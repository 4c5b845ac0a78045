// Package config holds lywatch's settings: the defaults, the `[tool.lywatch]`
// table of a project's pyproject.toml or a lywatch.toml of its own, and the
// command-line flags, which override the file.
//
// A key or value that is wrong is an error naming the file and the line
// (FileError). Relative paths in a file are relative to the file's
// directory. See Config for every key.
package config
