package ipc

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// lywatchWire is lywatch's own protocol: JSON request and reply lines.
type lywatchWire struct{}

func (lywatchWire) name() string        { return "lywatch" }
func (lywatchWire) defaultAddr() string { return DefaultAddr }

func (lywatchWire) push(ctx context.Context, c *Client, req *pushRequest) (*PushResult, error) {
	var r loadResult
	args := map[string]any{"path": req.path, "mode": req.opt.mode(), "force": req.opt.Force}
	if len(req.opt.Factories) > 0 {
		args["factories"] = req.opt.Factories
	}
	if req.opt.LayerProperties != "" {
		args["layer_properties"] = req.opt.LayerProperties
	}
	if req.opt.Activate {
		args["activate"] = true
	}
	if req.opt.RDB != "" {
		args["lyrdb"] = abs(req.opt.RDB)
	}
	root := c.Root
	if root == "" {
		root = filepath.Dir(req.path)
	}
	var body *bodyBytes
	if pt := req.partial; pt != nil {
		info, data, err := EncodePayload(pt.data, PayloadPartial)
		if err != nil {
			return nil, fmt.Errorf("push %s: %w", req.path, err)
		}
		body = &bodyBytes{info: info, data: data}
		args["base"], args["removed"], args["cells"], args["dbu"], args["copy"] = pt.base, pt.removed, pt.cells, pt.dbu, pt.copy
	} else if req.opt.Data != nil {
		info, data, err := EncodePayload(req.opt.Data, PayloadFull)
		if err != nil {
			return nil, fmt.Errorf("push %s: %w", req.path, err)
		}
		body = &bodyBytes{info: info, data: data}
	}
	if err := c.call(ctx, CmdLoad, root, args, body, &r); err != nil {
		return nil, err
	}
	return &PushResult{
		Type: r.Type, File: r.File, Cell: r.Cell, View: r.View, Instance: r.Instance,
		Views: r.Views, Followed: r.Followed, LeftAlone: r.LeftAlone, Source: r.Source, Sent: body.size(),
		State: r.State, Fallback: r.Fallback, RDB: r.RDB,
		Load: time.Duration(r.LoadMS * float64(time.Millisecond)),
	}, nil
}

func (lywatchWire) status(ctx context.Context, c *Client) (*Status, error) {
	var st Status
	if err := c.Call(ctx, CmdStatus, nil, &st); err != nil {
		return nil, err
	}
	return st.Normalize(), nil
}

func (b *bodyBytes) size() int64 {
	if b == nil {
		return 0
	}
	return b.info.Size
}

// loadResult is the result of lywatch's load command.
type loadResult struct {
	Type      string      `json:"type"`
	File      string      `json:"file"`
	Cell      string      `json:"cell"`
	View      int         `json:"view"`
	LoadMS    float64     `json:"load_ms"`
	Instance  string      `json:"instance"`
	Views     int         `json:"views"`
	Followed  []Follow    `json:"followed"`
	LeftAlone []LeftAlone `json:"left_alone"`
	Source    string      `json:"source"`
	State     string      `json:"state"`
	Fallback  string      `json:"fallback"`
	RDB       *RDBInfo    `json:"rdb"`
}
