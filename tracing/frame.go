package tracing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Frame is one layout a build traced.
type Frame struct {
	// Target is the target key whose build wrote it.
	Target string
	// Seq numbers the build's frames from 1, in the order written.
	Seq int
	// Label is what the build called the step ("" if nothing).
	Label string
	// Cell is the cell traced, where the build's object named one.
	Cell string
	// Time is when the build wrote it.
	Time time.Time
	// Size is the size of its layout file in bytes.
	Size int64
	// Path is its layout file (GDS).
	Path string
}

// maxRecord bounds a frame record: a record is a few hundred bytes.
const maxRecord = 64 << 10

// maxLabel bounds a label kept from a record, in bytes.
const maxLabel = 200

// frameFile is the name a record may give its layout: what lywatch_trace
// writes, and nothing that leaves the folder.
var frameFile = regexp.MustCompile(`^[0-9]{1,9}\.gds(\.gz)?$`)

// record is a frame record as lywatch_trace writes it.
type record struct {
	Seq   *int     `json:"seq"`
	File  string   `json:"file"`
	Size  *int64   `json:"size"`
	Time  *float64 `json:"time"`
	Label *string  `json:"label"`
	Cell  string   `json:"cell"`
}

// ErrRecord is wrapped by every error about a malformed frame record.
var ErrRecord = errors.New("malformed trace record")

// ParseRecord parses the record name (a file of the folder dir, NNNNNN.json)
// of target's build. The record's seq must match its name and its file
// must be a layout of the same folder.
func ParseRecord(target, dir, name string, b []byte) (Frame, error) {
	bad := func(format string, args ...any) (Frame, error) {
		return Frame{}, fmt.Errorf("%s: %w: %s", filepath.Join(dir, name), ErrRecord, fmt.Sprintf(format, args...))
	}
	seqName, ok := strings.CutSuffix(name, ".json")
	n, err := strconv.Atoi(seqName)
	if !ok || err != nil || n <= 0 || seqName[0] == '+' {
		return bad("the name is not NNNNNN.json")
	}
	if len(b) > maxRecord {
		return bad("%d bytes, more than a record holds (%d)", len(b), maxRecord)
	}
	var r record
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return bad("%v", err)
	}
	switch {
	case r.Seq == nil || *r.Seq != n:
		return bad("seq does not match the name %s", name)
	case !frameFile.MatchString(r.File):
		return bad("file %q is not a layout of the folder", r.File)
	case r.Size == nil || *r.Size < 0:
		return bad("no size")
	case r.Time == nil || math.IsNaN(*r.Time) || math.IsInf(*r.Time, 0) || *r.Time < 0 || *r.Time > 1e11:
		return bad("no time")
	}
	f := Frame{Target: target, Seq: n, Cell: clip(r.Cell), Size: *r.Size, Path: filepath.Join(dir, r.File)}
	sec, frac := math.Modf(*r.Time)
	f.Time = time.Unix(int64(sec), int64(frac*1e9))
	if r.Label != nil {
		f.Label = clip(*r.Label)
	}
	return f, nil
}

// clip bounds a string from a record to maxLabel bytes of valid UTF-8.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= maxLabel {
		return s
	}
	for i := maxLabel; i > 0; i-- {
		if (s[i] & 0xC0) != 0x80 {
			return s[:i] + "…"
		}
	}
	return ""
}

// state is the counters lywatch_trace keeps in a build's folder.
type state struct {
	Next    int   `json:"next"`
	Kept    int   `json:"kept"`
	Bytes   int64 `json:"bytes"`
	Dropped int   `json:"dropped"`
}

// parseState reads the dropped count of a folder's counters; anything
// unreadable counts none.
func parseState(b []byte) int {
	var s state
	if len(b) > maxRecord || json.Unmarshal(b, &s) != nil || s.Dropped < 0 {
		return 0
	}
	return s.Dropped
}
