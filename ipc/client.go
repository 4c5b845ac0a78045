package ipc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultTimeout bounds a whole request (connect, send, reply) when
// Client.Timeout is zero. KLayout loads big layouts in seconds, not minutes.
const DefaultTimeout = 30 * time.Second

// DefaultDialTimeout bounds connecting when Client.DialTimeout is zero.
const DefaultDialTimeout = 3 * time.Second

// ErrNoServer is matched (errors.Is) by errors that mean nothing listens at
// the client's address.
var ErrNoServer = errors.New("no KLayout listening")

// NoServerError says that nothing accepted a connection at Addr.
type NoServerError struct {
	Addr string
	Err  error // the dial error
}

// Error says nothing listens and how to start KLayout with the server.
func (e *NoServerError) Error() string {
	msg := fmt.Sprintf("no KLayout listening on %s, run 'lywatch klayout start'", e.Addr)
	if e.Err != nil && !errors.Is(e.Err, syscall.ECONNREFUSED) {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrNoServer) true.
func (e *NoServerError) Is(target error) bool { return target == ErrNoServer }

// Unwrap returns the dial error.
func (e *NoServerError) Unwrap() error { return e.Err }

// Client talks to one KLayout. The zero value pushes to DefaultAddr with the
// lywatch protocol. A Client holds no connection between calls and is safe
// for concurrent use.
type Client struct {
	Addr        string        // host:port; DefaultAddr if empty
	Protocol    Protocol      // wire protocol; ProtoLywatch if zero
	Timeout     time.Duration // whole request; DefaultTimeout if zero
	DialTimeout time.Duration // connecting; DefaultDialTimeout (or Timeout if smaller) if zero
}

// Address returns the address the client connects to: Addr, or the
// protocol's default when Addr is empty.
func (c *Client) Address() string {
	if c.Addr != "" {
		return c.Addr
	}
	if c.Protocol == ProtoKlive {
		return DefaultKliveAddr
	}
	return DefaultAddr
}

// dial connects and sets the connection's deadline from the timeout and ctx;
// cancelling ctx unblocks any read or write. Call the returned stop func
// before closing.
func (c *Client) dial(ctx context.Context) (net.Conn, func() bool, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dt := c.DialTimeout
	if dt <= 0 {
		dt = min(DefaultDialTimeout, timeout)
	}
	d := net.Dialer{Timeout: dt}
	conn, err := d.DialContext(ctx, "tcp", c.Address())
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("connect to %s: %w", c.Address(), ctx.Err())
		}
		return nil, nil, &NoServerError{Addr: c.Address(), Err: err}
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return conn, stop, nil
}

// ioError wraps a read or write error with the address, command and the
// reason (timeout, cancelled).
func (c *Client) ioError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", what, c.Address(), ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s %s: no reply in time (KLayout busy or not a lywatch server?): %w", what, c.Address(), err)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s %s: connection closed before a reply: %w", what, c.Address(), err)
	}
	return fmt.Errorf("%s %s: %w", what, c.Address(), err)
}

// Call sends one lywatch-protocol command with its arguments and decodes the
// reply's result into result (which may be nil). An error reply is a
// *ServerError.
func (c *Client) Call(ctx context.Context, cmd string, args map[string]any, result any) error {
	if c.Protocol != ProtoLywatch {
		return fmt.Errorf("%s: command %q needs the lywatch protocol, not %s", c.Address(), cmd, c.Protocol)
	}
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer stop()
	req := Request{ID: 1 + rand.Uint64N(1<<31), Cmd: cmd, Args: args}
	line, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode %s request: %w", c.Address(), cmd, err)
	}
	if _, err := conn.Write(append(line, '\n')); err != nil {
		return c.ioError(ctx, "send "+cmd+" to", err)
	}
	br := bufio.NewReader(conn)
	for {
		b, err := ReadLine(br, MaxReplySize)
		if err != nil {
			return c.ioError(ctx, "read "+cmd+" reply from", err)
		}
		rep, err := ParseReply(b)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", c.Address(), cmd, err)
		}
		if rep.ID == nil || *rep.ID != req.ID {
			if !rep.OK && rep.ID == nil {
				return &ServerError{Addr: c.Address(), Cmd: cmd, Msg: rep.Error}
			}
			continue // a reply to someone else's request; not ours
		}
		if !rep.OK {
			return &ServerError{Addr: c.Address(), Cmd: cmd, Msg: rep.Error}
		}
		if result != nil && len(rep.Result) > 0 {
			if err := json.Unmarshal(rep.Result, result); err != nil {
				return fmt.Errorf("%s: %s: %w: result: %v", c.Address(), cmd, ErrMalformedReply, err)
			}
		}
		return nil
	}
}

// Push asks KLayout to show the layout at path (made absolute; KLayout must
// see the same path). With the lywatch protocol and the default options the
// file is reloaded where it is open, keeping the view box, layers, cell and
// hierarchy depth, or opened in a new view zoomed to fit.
func (c *Client) Push(ctx context.Context, path string, opt PushOptions) (*PushResult, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", path, err)
	}
	start := time.Now()
	var res *PushResult
	switch c.Protocol {
	case ProtoLywatch:
		res, err = c.pushLywatch(ctx, abs, opt)
	case ProtoLyipc:
		res, err = c.pushLyipc(ctx, abs, opt)
	case ProtoKlive:
		res, err = c.pushKlive(ctx, abs, opt)
	default:
		err = fmt.Errorf("unknown protocol %v", c.Protocol)
	}
	if err != nil {
		return nil, err
	}
	res.Protocol = c.Protocol
	res.Elapsed = time.Since(start)
	return res, nil
}

func (c *Client) pushLywatch(ctx context.Context, path string, opt PushOptions) (*PushResult, error) {
	var r struct {
		Type   string   `json:"type"`
		File   string   `json:"file"`
		Cell   string   `json:"cell"`
		View   int      `json:"view"`
		LoadMS float64  `json:"load_ms"`
		RDB    *RDBInfo `json:"rdb"`
	}
	args := map[string]any{"path": path, "mode": opt.mode(), "force": opt.Force}
	if opt.RDB != "" {
		args["lyrdb"] = abs(opt.RDB)
	}
	if err := c.Call(ctx, "load", args, &r); err != nil {
		return nil, err
	}
	return &PushResult{
		Type: r.Type, File: r.File, Cell: r.Cell, View: r.View,
		Load: time.Duration(r.LoadMS * float64(time.Millisecond)), RDB: r.RDB,
	}, nil
}

// Status asks the server for its state and the current view's. With lyipc it
// only pings (the result has no view details); klive has no status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	switch c.Protocol {
	case ProtoLywatch:
		var st Status
		if err := c.Call(ctx, "status", nil, &st); err != nil {
			return nil, err
		}
		return &st, nil
	case ProtoLyipc:
		if _, err := c.Text(ctx, "ping"); err != nil {
			return nil, err
		}
		return &Status{Listening: true}, nil
	}
	return nil, fmt.Errorf("%s: the %s protocol has no status", c.Address(), c.Protocol)
}

// Zoom sets the current view's visible box (micrometres).
func (c *Client) Zoom(ctx context.Context, left, bottom, right, top float64) error {
	return c.Call(ctx, "zoom", map[string]any{"box": []float64{left, bottom, right, top}}, nil)
}

// SetLayerVisible shows or hides a layer ("L/D" or its name) in the current view.
func (c *Client) SetLayerVisible(ctx context.Context, layer string, visible bool) error {
	return c.Call(ctx, "set_layer_visible", map[string]any{"layer": layer, "visible": visible}, nil)
}

// SaveImage has KLayout save the current view as a PNG of w×h pixels at path
// (a path KLayout can write).
func (c *Client) SaveImage(ctx context.Context, path string, w, h int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	return c.Call(ctx, "save_image", map[string]any{"path": abs, "width": w, "height": h}, nil)
}
