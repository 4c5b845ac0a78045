package gds

import (
	"errors"
	"fmt"
)

// FormatError reports a GDSII stream that does not follow the format. It
// names the byte offset of the record at fault (in the uncompressed stream)
// and its type, e.g.
//
//	gds: offset 1234: record XY (0x1003): odd number of coordinates
type FormatError struct {
	Offset   int64      // byte offset of the record's header
	Record   RecordType // the record's type, if HasRecord
	DataType DataType   // the record's data type, if HasRecord
	// HasRecord is false when the error is not about one record (such as a
	// stream that ends inside a record header).
	HasRecord bool
	Msg       string
}

// Error returns "gds: offset N: record NAME (0xTTDD): message".
func (e *FormatError) Error() string {
	if !e.HasRecord {
		return fmt.Sprintf("gds: offset %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("gds: offset %d: record %s: %s", e.Offset, recordCode(e.Record, e.DataType), e.Msg)
}

// ErrNoLibrary is returned (wrapped) for input that ends before ENDLIB.
var ErrNoLibrary = errors.New("gds: no complete library")

// Warning is something the reader skipped or tolerated, such as an unknown
// record or a reference to an undefined cell. Reading goes on after a
// warning.
type Warning struct {
	Offset int64
	Record RecordType
	Msg    string
	// Ghost names the undefined cell when the warning is about a reference
	// to one (read as a ghost cell, see Cell.Ghost); "" otherwise. Each
	// ghost cell has one such warning, at its first reference.
	Ghost string
}

// String returns "offset N: record NAME: message".
func (w Warning) String() string {
	return fmt.Sprintf("offset %d: record %s: %s", w.Offset, w.Record, w.Msg)
}

func recErr(off int64, t RecordType, dt DataType, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Record: t, DataType: dt, HasRecord: true, Msg: fmt.Sprintf(format, args...)}
}
