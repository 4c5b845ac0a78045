package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultAddr is where lywatch's server (and lyipc's) listens by default.
const DefaultAddr = "127.0.0.1:11078"

// DefaultKliveAddr is where a stock klive server listens.
const DefaultKliveAddr = "127.0.0.1:8082"

// MaxReplySize caps one reply line read by the client, in bytes.
const MaxReplySize = 16 << 20

// Protocol selects the wire protocol the Client speaks.
type Protocol int

// The protocols a Client can speak.
const (
	ProtoLywatch Protocol = iota // lywatch's JSON lines (this package's server)
	ProtoLyipc                   // lyipc's text commands, ACK/ERR replies
	ProtoKlive                   // klive's JSON request, JSON reply without newline
)

// protocols lists every wire protocol in Protocol order. A new protocol is
// one file implementing wire, one constant above and one line here.
func protocols() []wire {
	return []wire{lywatchWire{}, lyipcWire{}, kliveWire{}}
}

// wire is the client side of one wire protocol.
type wire interface {
	// name is the protocol's name as the --protocol flag spells it.
	name() string
	// defaultAddr is where the protocol's servers listen by default.
	defaultAddr() string
	// push asks the server at c's address to show the layout.
	push(ctx context.Context, c *Client, req *pushRequest) (*PushResult, error)
	// status asks the server for its state, where the protocol can.
	status(ctx context.Context, c *Client) (*Status, error)
}

func (p Protocol) wire() (wire, error) {
	ws := protocols()
	if p < 0 || int(p) >= len(ws) {
		return nil, fmt.Errorf("unknown protocol %d", int(p))
	}
	return ws[p], nil
}

// String returns the protocol's name as the --protocol flag spells it.
func (p Protocol) String() string {
	if w, err := p.wire(); err == nil {
		return w.name()
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// ParseProtocol turns "lywatch", "lyipc" or "klive" into a Protocol.
func ParseProtocol(s string) (Protocol, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ProtoLywatch, nil
	}
	var names []string
	for i, w := range protocols() {
		if w.name() == s {
			return Protocol(i), nil
		}
		names = append(names, w.name())
	}
	return 0, fmt.Errorf("unknown protocol %q (want %s)", s, strings.Join(names, ", "))
}

// Load modes of the lywatch protocol's load command.
const (
	ModeReload  = "reload"  // reload where the file is open, keeping the view; else open in a new view
	ModeNew     = "new"     // always open in a new view
	ModeReplace = "replace" // open in the current view, replacing what it shows
)

// PushOptions says how a pushed layout is shown.
type PushOptions struct {
	// NewView opens the layout in a new view even if it is open already.
	NewView bool
	// Force reloads even a view with unsaved edits in KLayout (they are
	// lost); without it such a push fails (lywatch protocol only).
	Force bool
	// Mode overrides NewView with one of ModeReload, ModeNew, ModeReplace
	// (lywatch protocol only).
	Mode string
	// Factories maps cell names to the factories that made them, to follow
	// a renamed cell (lywatch protocol only; see Layout.Factories).
	Factories map[string]string
	// LayerProperties is a .lyp file's text, applied when a view opens
	// (lywatch protocol only).
	LayerProperties string
	// Activate makes the view the push reloads the current one, as a push
	// that opens a view does (lywatch protocol only): for replays, and
	// for the layout that ends a traced build.
	Activate bool
	// Data, when not nil, is the layout itself (the file's bytes), sent in
	// the message gzip-compressed with its SHA-256, so KLayout needs no
	// access to the file (lywatch protocol only): KLayout shows it from a
	// copy named after the path.
	Data []byte
	// RDB is a report database (.lyrdb) to show with the layout, in
	// KLayout's marker browser, replacing the one lywatch showed before
	// (lywatch protocol, with a server that shows them: PushResult.RDB
	// says; klive: its lyrdb field).
	RDB string
}

func (o PushOptions) mode() string {
	if o.Mode != "" {
		return o.Mode
	}
	if o.NewView {
		return ModeNew
	}
	return ModeReload
}

// PushResult is KLayout's confirmation of a push.
type PushResult struct {
	Protocol Protocol      // the protocol spoken
	Type     string        // "reload" (view kept) or "open"; "" where the server does not say
	File     string        // the file KLayout loaded
	Cell     string        // the cell shown, where the server says
	View     int           // index of the view, where the server says
	Load     time.Duration // KLayout's own load time, where the server says
	Elapsed  time.Duration // round trip seen by the client
	Reply    string        // the raw reply (lyipc's ACK line, klive's JSON)
	Instance string        // the server instance (lywatch protocol)
	// Views is how many views were reloaded (or 1 opened); Followed and
	// LeftAlone say what happened to the others (lywatch protocol).
	Views     int
	Followed  []Follow
	LeftAlone []LeftAlone
	// Sent is the bytes of layout on the wire (0 when only the path went);
	// Source the path the layout came from, when File is KLayout's copy.
	Sent   int64
	Source string
	// State names the layout the views show now (the next incremental push
	// is sent against it); Fallback says why an incremental push became a
	// full reload.
	State    string
	Fallback string
	// RDB is the report database shown (PushOptions.RDB); nil when the
	// server did not show it.
	RDB *RDBInfo
}

// Request is one lywatch-protocol request line. Args are merged into the
// JSON object beside id, cmd, token and root; they cannot override those.
type Request struct {
	ID    uint64
	Cmd   string
	Token string // the user's token (see LoadToken)
	Root  string // the client's project root, a folder the server may then read
	// Payload, when not nil, describes the bytes that follow the line.
	Payload *Payload
	Args    map[string]any
}

// MarshalJSON writes the request as one flat JSON object.
func (r Request) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Args)+4)
	for k, v := range r.Args {
		m[k] = v
	}
	m["id"] = r.ID
	m["cmd"] = r.Cmd
	m["token"] = r.Token
	if r.Root != "" {
		m["root"] = r.Root
	} else {
		delete(m, "root")
	}
	if r.Payload != nil {
		m["payload"] = r.Payload
	} else {
		delete(m, "payload")
	}
	return json.Marshal(m)
}

// Reply is one lywatch-protocol reply line.
type Reply struct {
	ID     *uint64         `json:"id"`
	OK     bool            `json:"ok"`
	Error  string          `json:"error,omitempty"`
	Code   string          `json:"code,omitempty"` // why it failed, for programs: see the Code* constants
	Result json.RawMessage `json:"result,omitempty"`
}

// Codes of error replies.
const (
	CodeUnauthorized = "unauthorized" // no token, or the wrong one
	CodeNotAllowed   = "not_allowed"  // a path is missing, unreadable or outside the allowed folders (one answer for all)
	CodeBadRequest   = "bad_request"  // a field out of bounds or of the wrong type
	CodeTooLarge     = "too_large"    // a line or a payload over the server's limit
	CodeBusy         = "busy"         // too many connections
	CodeDirty        = "dirty"        // KLayout holds unsaved edits (quit without force)
	CodeBadPayload   = "bad_payload"  // the layout's bytes do not decompress or match their checksum
	CodeMismatch     = "mismatch"     // an incremental push against a layout the views no longer show: send it whole
)

// ErrUnauthorized is matched (errors.Is) by a server's refusal of a missing
// or wrong token.
var ErrUnauthorized = errors.New("unauthorized")

// ServerError is an error reply from the server (`"ok": false`, lyipc's ERR,
// or klive's error field).
type ServerError struct {
	Addr string
	Cmd  string
	Msg  string
	Code string // the reply's code, where the server gives one
}

// Error names the server, the command and KLayout's message.
func (e *ServerError) Error() string {
	return fmt.Sprintf("KLayout at %s: %s: %s", e.Addr, e.Cmd, e.Msg)
}

// Is makes errors.Is(err, ErrUnauthorized) true for a token refusal.
func (e *ServerError) Is(target error) bool {
	return target == ErrUnauthorized && e.Code == CodeUnauthorized
}

// ErrMalformedReply is wrapped by errors about replies that cannot be parsed.
var ErrMalformedReply = errors.New("malformed reply")

// ParseReply parses one lywatch-protocol reply line.
func ParseReply(line []byte) (*Reply, error) {
	var r Reply
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, fmt.Errorf("%w: %v: %q", ErrMalformedReply, err, clip(line))
	}
	if !r.OK && r.Error == "" {
		return nil, fmt.Errorf("%w: neither ok nor an error: %q", ErrMalformedReply, clip(line))
	}
	return &r, nil
}

func clip(b []byte) string {
	const n = 120
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// pushRequest is what a wire needs to push one layout.
type pushRequest struct {
	path    string // absolute
	opt     PushOptions
	partial *partial // only the new and changed cells (lywatch protocol)
}

// partial is an incremental push: a GDS stream with only the new and
// changed cells, read into the open layout the last push (base) showed.
type partial struct {
	data    []byte   // the stream (gds.ExtractCells)
	base    string   // the state the last push's reply gave
	removed []string // cells to delete
	cells   int      // the cell count the layout has after
	dbu     float64  // metres
	copy    bool     // the views show the server's copy (the layout came as bytes)
}

// The commands of lywatch's protocol that this client sends. The server's
// command table (klayout/server.py) must answer each of them.
const (
	CmdPing            = "ping"
	CmdStatus          = "status"
	CmdLoad            = "load"
	CmdZoom            = "zoom"
	CmdZoomFit         = "zoom_fit"
	CmdSetLayerVisible = "set_layer_visible"
	CmdSetLayerColor   = "set_layer_color"
	CmdCell            = "cell"
	CmdHier            = "hier"
	CmdSaveImage       = "save_image"
	CmdQuit            = "quit"
	CmdNote            = "note"
	CmdCells           = "cells"
	CmdRDB             = "rdb"
)

// Commands lists every command of lywatch's protocol the client knows, in
// the order of the README's table.
func Commands() []string {
	return []string{CmdPing, CmdStatus, CmdLoad, CmdZoom, CmdZoomFit, CmdSetLayerVisible,
		CmdSetLayerColor, CmdCell, CmdHier, CmdSaveImage, CmdQuit, CmdNote, CmdCells, CmdRDB}
}
