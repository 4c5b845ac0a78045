//go:build !linux

package runner

// writeEvents writes the events file as a temporary file.
func writeEvents(data []byte) (*eventsFile, error) { return writeTemp(data) }
