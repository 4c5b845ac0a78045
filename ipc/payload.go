package ipc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// MaxLayoutBytes is the largest layout a push carries in its message
// (before compression); the server has its own limits (LYWATCH_MAX_PAYLOAD,
// LYWATCH_MAX_LAYOUT).
const MaxLayoutBytes = 4 << 30

// Payload kinds: the whole layout, or only its new and changed cells.
const (
	PayloadFull    = "full"
	PayloadPartial = "partial"
)

// Payload describes the bytes that follow a request line: Size bytes of
// gzip-compressed layout whose uncompressed SHA-256 is SHA256.
type Payload struct {
	Size     int64  `json:"size"`
	RawSize  int64  `json:"raw_size"`
	SHA256   string `json:"sha256"`
	Encoding string `json:"encoding"` // "gzip"
	Kind     string `json:"kind"`     // PayloadFull or PayloadPartial
}

// EncodePayload compresses raw for the wire and describes it.
func EncodePayload(raw []byte, kind string) (Payload, []byte, error) {
	if len(raw) > MaxLayoutBytes {
		return Payload{}, nil, fmt.Errorf("layout of %d bytes is over the %d a push carries", len(raw), MaxLayoutBytes)
	}
	sum := sha256.Sum256(raw)
	var buf bytes.Buffer
	buf.Grow(len(raw)/3 + 1024)
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return Payload{}, nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return Payload{}, nil, err
	}
	if err := zw.Close(); err != nil {
		return Payload{}, nil, err
	}
	return Payload{Size: int64(buf.Len()), RawSize: int64(len(raw)), SHA256: hex.EncodeToString(sum[:]),
		Encoding: "gzip", Kind: kind}, buf.Bytes(), nil
}

// IsLoopback reports whether addr (host:port) is on this machine: a
// loopback address or localhost (in any case). An empty address is the
// default, which is; an address without a port is not one the client dials.
func IsLoopback(addr string) bool {
	if addr == "" {
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
