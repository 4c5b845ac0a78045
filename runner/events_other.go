//go:build !linux

package runner

// writeEvents writes the events file as a temporary file; it returns its
// path and the function removing it.
func writeEvents(data []byte) (string, func(), error) { return writeTemp(data) }
