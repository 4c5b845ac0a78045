package ipc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// ErrLineTooLong is wrapped by ReadLine when a line exceeds its limit.
var ErrLineTooLong = errors.New("line too long")

// ReadLine reads one line ending in '\n' (not included, nor a '\r' before
// it) of at most max bytes. A last line without a newline is returned with a
// nil error; io.EOF only comes when nothing was read.
func ReadLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > max+2 {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, max)
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > max {
				return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrLineTooLong, len(line), max)
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			if len(line) > max {
				return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrLineTooLong, len(line), max)
			}
			return line, nil
		default:
			return nil, err
		}
	}
}
