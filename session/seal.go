package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// FormatVersion is the version of the on-disk format written by this
// package. Files of any other version are treated as empty with a warning.
const FormatVersion = 2

// Each sealed file is one JSON object whose last member is the SHA-256 of
// every byte before it, so any change to the file (a flipped bit, a cut)
// is detected while the file stays plain JSON for people and jq:
//
//	{"format":"lywatch-session-manifest","version":2,"data":{...},"files":"...","mark":"<hex>","sha256":"<hex>"}\n
//
// "files" (the manifest's file table, see filelist.go) is present only in
// manifests, "mark" (the owner's mark, see key.go) in every file a Store
// writes. Version 1 had no mark.
const (
	sealMid    = `,"sha256":"`
	sealEnd    = "\"}\n"
	sealHexLen = 2 * sha256.Size
	tableKey   = `,"files":"`
)

// envelope is the sealed file's outer object.
type envelope struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Data    json.RawMessage `json:"data"`
	// Table is the raw content of the "files" string, nil if absent.
	Table []byte `json:"-"`
}

// seal encodes v as a sealed file of the given format, marked with key
// (unmarked when key is nil).
func seal(format string, v any, key []byte) ([]byte, error) {
	return sealTable(format, v, nil, key)
}

// sealTable is seal with a "files" member holding table, which must need
// no JSON escaping beyond what it holds already and no '"'.
func sealTable(format string, v any, table, key []byte) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", format, err)
	}
	fm, _ := json.Marshal(format)
	head := make([]byte, 0, len(data)+len(table)+64)
	head = append(head, `{"format":`...)
	head = append(head, fm...)
	head = append(head, `,"version":`...)
	head = strconv.AppendInt(head, FormatVersion, 10)
	head = append(head, `,"data":`...)
	head = append(head, data...)
	if table != nil {
		head = append(head, tableKey...)
		head = append(head, table...)
		head = append(head, '"')
	}
	if key != nil {
		head = appendMark(head, key)
	}
	return sealHead(head), nil
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
// v, and returns its owner's mark to verify. Errors name the byte offset
// where the file stops making sense; an unknown version wraps
// ErrUnknownVersion.
func unseal(format string, b []byte, v any) (marked, error) {
	table, mark, err := unsealTable(format, b, v)
	if err == nil && table != nil {
		err = errors.New("unexpected files member")
	}
	return mark, err
}

// unsealTable is unseal for files that may carry a "files" member; it
// returns the member's raw content (nil when absent).
func unsealTable(format string, b []byte, v any) (table []byte, mark marked, err error) {
	tail := len(sealMid) + sealHexLen + len(sealEnd)
	if len(b) < tail+2 {
		return nil, mark, fmt.Errorf("truncated: %d bytes, want at least %d", len(b), tail+2)
	}
	head, trailer := b[:len(b)-tail], b[len(b)-tail:]
	if !bytes.HasPrefix(trailer, []byte(sealMid)) || !bytes.HasSuffix(trailer, []byte(sealEnd)) {
		return nil, mark, fmt.Errorf("truncated or damaged: no checksum at byte offset %d", len(head))
	}
	hexSum := trailer[len(sealMid) : len(sealMid)+sealHexLen]
	sum := sha256.Sum256(head)
	if want := hex.EncodeToString(sum[:]); string(hexSum) != want {
		return nil, mark, fmt.Errorf("checksum mismatch (file says %.12s…, content is %.12s…): the file was changed or damaged", hexSum, want)
	}
	mark.body, mark.mark = splitMark(head)
	env, err := parseEnvelope(mark.body)
	if err != nil {
		return nil, mark, err
	}
	if env.Format != format {
		return nil, mark, fmt.Errorf("format %q, want %q", env.Format, format)
	}
	if env.Version != FormatVersion {
		return nil, mark, fmt.Errorf("format version %d (this lywatch reads %d): %w", env.Version, FormatVersion, ErrUnknownVersion)
	}
	if err := strictDecode(env.Data, v); err != nil {
		return nil, mark, err
	}
	return env.Table, mark, nil
}

// parseEnvelope splits a checked file's head, `{"format":"F","version":N,
// "data":DATA` and optionally `,"files":"TABLE"`, without scanning the bulk
// twice: the checksum has already proved the bytes are the ones seal wrote,
// so strict matching of the parts seal writes is enough.
func parseEnvelope(head []byte) (envelope, error) {
	var env envelope
	const pre = `{"format":`
	if !bytes.HasPrefix(head, []byte(pre)) {
		return env, errors.New("byte offset 0: not a lywatch session file")
	}
	rest := head[len(pre):]
	i := bytes.Index(rest, []byte(`,"version":`))
	if i < 0 || json.Unmarshal(rest[:i], &env.Format) != nil {
		return env, fmt.Errorf("byte offset %d: bad format field", len(pre))
	}
	rest = rest[i+len(`,"version":`):]
	j := bytes.Index(rest, []byte(`,"data":`))
	if j < 0 {
		return env, fmt.Errorf("byte offset %d: bad version field", len(head)-len(rest))
	}
	v, err := strconv.Atoi(string(rest[:j]))
	if err != nil || strconv.Itoa(v) != string(rest[:j]) {
		return env, fmt.Errorf("byte offset %d: bad version %q", len(head)-len(rest), rest[:j])
	}
	env.Version = v
	env.Data = rest[j+len(`,"data":`):]
	if n := len(env.Data); n > 0 && env.Data[n-1] == '"' {
		k := bytes.LastIndex(env.Data, []byte(tableKey))
		if k < 0 || k+len(tableKey) > n-1 {
			return env, fmt.Errorf("byte offset %d: bad files member", len(head))
		}
		table := env.Data[k+len(tableKey) : n-1]
		if bytes.IndexByte(table, '"') >= 0 {
			return env, fmt.Errorf("byte offset %d: bad files member", len(head)-n+k)
		}
		env.Data, env.Table = env.Data[:k], table
		if env.Table == nil {
			env.Table = []byte{}
		}
	}
	return env, nil
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
