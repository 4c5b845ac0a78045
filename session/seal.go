package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// FormatVersion is the version of the on-disk format written by this
// package. Files of any other version are treated as empty with a warning.
const FormatVersion = 1

// Each sealed file is one JSON object whose last member is the SHA-256 of
// every byte before it, so any change to the file (a flipped bit, a cut)
// is detected while the file stays plain JSON for people and jq:
//
//	{"format":"lywatch-session-manifest","version":1,"data":{...},"sha256":"<hex>"}\n
const (
	sealMid    = `,"sha256":"`
	sealEnd    = "\"}\n"
	sealHexLen = 2 * sha256.Size
)

// envelope is the sealed file's outer object.
type envelope struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Data    json.RawMessage `json:"data"`
}

// errVersion marks a file whose format version this build does not know.
var errVersion = errors.New("unknown format version")

// seal encodes v as a sealed file of the given format.
func seal(format string, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", format, err)
	}
	head, err := json.Marshal(envelope{Format: format, Version: FormatVersion, Data: data})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", format, err)
	}
	// head ends with '}': replace it by the checksum member.
	return sealHead(head[:len(head)-1]), nil
}

// sealHead appends the checksum member of head and closes the object.
func sealHead(head []byte) []byte {
	sum := sha256.Sum256(head)
	out := make([]byte, 0, len(head)+len(sealMid)+sealHexLen+len(sealEnd))
	out = append(out, head...)
	out = append(out, sealMid...)
	out = hex.AppendEncode(out, sum[:])
	return append(out, sealEnd...)
}

// unseal checks a sealed file of the given format and decodes its data into
// v. Errors name the byte offset where the file stops making sense; an
// unknown version wraps errVersion.
func unseal(format string, b []byte, v any) error {
	tail := len(sealMid) + sealHexLen + len(sealEnd)
	if len(b) < tail+2 {
		return fmt.Errorf("truncated: %d bytes, want at least %d", len(b), tail+2)
	}
	head, trailer := b[:len(b)-tail], b[len(b)-tail:]
	if !bytes.HasPrefix(trailer, []byte(sealMid)) || !bytes.HasSuffix(trailer, []byte(sealEnd)) {
		return fmt.Errorf("truncated or damaged: no checksum at byte offset %d", len(head))
	}
	hexSum := trailer[len(sealMid) : len(sealMid)+sealHexLen]
	sum := sha256.Sum256(head)
	if want := hex.EncodeToString(sum[:]); string(hexSum) != want {
		return fmt.Errorf("checksum mismatch (file says %.12s…, content is %.12s…): the file was changed or damaged", hexSum, want)
	}
	obj := make([]byte, 0, len(head)+1)
	obj = append(append(obj, head...), '}')
	var env envelope
	if err := strictDecode(obj, &env); err != nil {
		return err
	}
	if env.Format != format {
		return fmt.Errorf("format %q, want %q", env.Format, format)
	}
	if env.Version != FormatVersion {
		return fmt.Errorf("format version %d (this lywatch reads %d): %w", env.Version, FormatVersion, errVersion)
	}
	return strictDecode(env.Data, v)
}

// strictDecode decodes one JSON value, refusing unknown fields and trailing
// data, and reports the byte offset of a syntax error.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("byte offset %d: %w", se.Offset, err)
		}
		return err
	}
	if dec.More() {
		return fmt.Errorf("byte offset %d: trailing data", dec.InputOffset())
	}
	return nil
}
