package ipc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// KliveRequest is the JSON object a klive server reads (one line).
type KliveRequest struct {
	GDS          string `json:"gds"`
	KeepPosition bool   `json:"keep_position"`
	Technology   string `json:"technology,omitempty"`
	LyRDB        string `json:"lyrdb,omitempty"` // a report database to show
}

// KliveReply is the JSON object a klive server answers with (no newline).
type KliveReply struct {
	Version        string `json:"version"`
	KLayoutVersion string `json:"klayout_version"`
	Type           string `json:"type"`
	File           string `json:"file"`
	Info           string `json:"info,omitempty"`
	Error          string `json:"error,omitempty"`
}

// ParseKliveReply decodes the first JSON object of r (a klive reply).
func ParseKliveReply(r io.Reader) (*KliveReply, []byte, error) {
	dec := json.NewDecoder(io.LimitReader(r, MaxReplySize))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, err
	}
	var rep KliveReply
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, raw, fmt.Errorf("%w: %v: %q", ErrMalformedReply, err, clip(raw))
	}
	return &rep, raw, nil
}

// kliveWire is klive's protocol: a JSON request line, a JSON reply.
type kliveWire struct{}

func (kliveWire) name() string        { return "klive" }
func (kliveWire) defaultAddr() string { return DefaultKliveAddr }

func (kliveWire) status(_ context.Context, c *Client) (*Status, error) {
	return nil, fmt.Errorf("%s: the klive protocol has no status", c.Address())
}

func (kliveWire) push(ctx context.Context, c *Client, req *pushRequest) (*PushResult, error) {
	path, opt := req.path, req.opt
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer stop()
	line, err := json.Marshal(KliveRequest{GDS: path, KeepPosition: opt.mode() == ModeReload, LyRDB: abs(opt.RDB)})
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append(line, '\n')); err != nil {
		return nil, c.ioError(ctx, "send gds to", err)
	}
	rep, raw, err := ParseKliveReply(conn)
	if err != nil {
		if rep == nil && raw == nil {
			return nil, c.ioError(ctx, "read klive reply from", err)
		}
		return nil, fmt.Errorf("%s: klive: %w", c.Address(), err)
	}
	if rep.Error != "" {
		return nil, &ServerError{Addr: c.Address(), Cmd: "klive load", Msg: rep.Error}
	}
	return &PushResult{Type: rep.Type, File: rep.File, Reply: string(raw)}, nil
}
