//go:build !linux

package replay

import "errors"

// RawTerminal is not supported here: keys are read by lines.
func RawTerminal(fd int) (restore func(), err error) {
	return nil, errors.New("raw terminal mode is supported on Linux only")
}
