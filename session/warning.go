package session

import (
	"errors"
	"fmt"
)

// Warning reports a session file that exists but cannot be used: corrupt,
// truncated, bit-flipped, of an unknown version or foreign. The session (or
// that target of it) is treated as empty; print the warning once and rebuild.
type Warning struct {
	// Path is the file at fault.
	Path string
	// Err says what is wrong ("checksum mismatch ...").
	Err error
}

// Error implements error: one line naming the file and what is wrong.
func (w *Warning) Error() string {
	return fmt.Sprintf("session: ignoring %s: %v (starting from scratch)", w.Path, w.Err)
}

// Unwrap returns the underlying cause.
func (w *Warning) Unwrap() error { return w.Err }

// IsWarning reports whether err is (or wraps) a *Warning: a session that was
// there but is unusable and is treated as empty.
func IsWarning(err error) bool {
	var w *Warning
	return errors.As(err, &w)
}

// ErrForeign is wrapped by the Warning for a foreign session: one not
// written by this user on this machine (without this user's mark, or owned
// by another user), or written for another project root. A foreign session
// is never served.
var ErrForeign = errors.New("foreign session")

// ErrUnknownVersion is wrapped by the Warning for a file of a format version
// this lywatch does not read.
var ErrUnknownVersion = errors.New("unknown format version")
