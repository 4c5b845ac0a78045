package ipc

import (
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

// String returns the protocol's name as the --protocol flag spells it.
func (p Protocol) String() string {
	switch p {
	case ProtoLywatch:
		return "lywatch"
	case ProtoLyipc:
		return "lyipc"
	case ProtoKlive:
		return "klive"
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// ParseProtocol turns "lywatch", "lyipc" or "klive" into a Protocol.
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "lywatch":
		return ProtoLywatch, nil
	case "lyipc":
		return ProtoLyipc, nil
	case "klive":
		return ProtoKlive, nil
	}
	return 0, fmt.Errorf("unknown protocol %q (want lywatch, lyipc or klive)", s)
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
	RDB      *RDBInfo      // the report database shown (PushOptions.RDB); nil when the server did not show it
}

// LoadInfo describes the server's last load.
type LoadInfo struct {
	File   string  `json:"file"`
	Type   string  `json:"type"`
	Mode   string  `json:"mode"`
	LoadMS float64 `json:"load_ms"`
	Time   float64 `json:"time"` // Unix seconds
}

// Status is what the server reports about itself and the current view.
type Status struct {
	ServerVersion  string    `json:"server_version"`
	Protocol       int       `json:"protocol"`
	KLayoutVersion string    `json:"klayout_version"`
	PID            int       `json:"pid"`
	Port           int       `json:"port"`
	Listening      bool      `json:"listening"`
	Views          int       `json:"views"`
	CurrentView    int       `json:"current_view"`
	Loads          int       `json:"loads"`
	FileWatcher    bool      `json:"file_watcher"` // KLayout's "file changed on disk" check; the server turns it off
	LastLoad       *LoadInfo `json:"last_load,omitempty"`
	File           string    `json:"file,omitempty"`
	Cell           string    `json:"cell,omitempty"`
	Dirty          bool      `json:"dirty,omitempty"` // the current layout has unsaved edits in KLayout
	DBU            float64   `json:"dbu,omitempty"`
	TopCells       []string  `json:"top_cells,omitempty"`
	CellViews      int       `json:"cellviews,omitempty"`
	Box            []float64 `json:"box,omitempty"` // left, bottom, right, top in micrometres
	MinHier        int       `json:"min_hier"`
	MaxHier        int       `json:"max_hier"`
	VisibleLayers  []string  `json:"visible_layers,omitempty"`
	HiddenLayers   []string  `json:"hidden_layers,omitempty"`
	Layers         []Layer   `json:"layers,omitempty"` // the current view's layer list, in order
}

// Layer is one entry of a view's layer list.
type Layer struct {
	Layer   string `json:"layer"`   // "layer/datatype" (or the source's name)
	Name    string `json:"name"`    // the display name, if any
	Visible bool   `json:"visible"` // shown
	Fill    string `json:"fill"`    // effective fill colour, #rrggbb
	Frame   string `json:"frame"`   // effective frame colour, #rrggbb
}

// Request is one lywatch-protocol request line. Args are merged into the
// JSON object beside id and cmd.
type Request struct {
	ID   uint64
	Cmd  string
	Args map[string]any
}

// MarshalJSON writes the request as one flat JSON object.
func (r Request) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Args)+2)
	for k, v := range r.Args {
		m[k] = v
	}
	m["id"] = r.ID
	m["cmd"] = r.Cmd
	return json.Marshal(m)
}

// Reply is one lywatch-protocol reply line.
type Reply struct {
	ID     *uint64         `json:"id"`
	OK     bool            `json:"ok"`
	Error  string          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

// ServerError is an error reply from the server (`"ok": false`, lyipc's ERR,
// or klive's error field).
type ServerError struct {
	Addr string
	Cmd  string
	Msg  string
}

// Error names the server, the command and KLayout's message.
func (e *ServerError) Error() string {
	return fmt.Sprintf("KLayout at %s: %s: %s", e.Addr, e.Cmd, e.Msg)
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
