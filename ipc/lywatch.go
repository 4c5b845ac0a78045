package ipc

import (
	"context"
	"path/filepath"
	"time"
)

// lywatchWire is lywatch's own protocol: JSON request and reply lines.
type lywatchWire struct{}

func (lywatchWire) name() string        { return "lywatch" }
func (lywatchWire) defaultAddr() string { return DefaultAddr }

func (lywatchWire) push(ctx context.Context, c *Client, req *pushRequest) (*PushResult, error) {
	var r struct {
		Type      string      `json:"type"`
		File      string      `json:"file"`
		Cell      string      `json:"cell"`
		View      int         `json:"view"`
		LoadMS    float64     `json:"load_ms"`
		Instance  string      `json:"instance"`
		Views     int         `json:"views"`
		Followed  []Follow    `json:"followed"`
		LeftAlone []LeftAlone `json:"left_alone"`
	}
	args := map[string]any{"path": req.path, "mode": req.opt.mode(), "force": req.opt.Force}
	if len(req.opt.Factories) > 0 {
		args["factories"] = req.opt.Factories
	}
	if req.opt.LayerProperties != "" {
		args["layer_properties"] = req.opt.LayerProperties
	}
	root := c.Root
	if root == "" {
		root = filepath.Dir(req.path)
	}
	if err := c.call(ctx, CmdLoad, root, args, &r); err != nil {
		return nil, err
	}
	return &PushResult{
		Type: r.Type, File: r.File, Cell: r.Cell, View: r.View, Instance: r.Instance,
		Views: r.Views, Followed: r.Followed, LeftAlone: r.LeftAlone,
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
