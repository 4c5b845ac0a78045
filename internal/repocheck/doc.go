// Package repocheck holds tests of the repository as a whole, run with
// the others in CI: the README lists every LYWATCH_* variable the sources
// use, and the packages import only what docs/architecture.md allows. It
// has no code of its own.
package repocheck
