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
// lywatch protocol and the user's token (LoadToken). A Client holds no
// connection between calls and is safe for concurrent use.
type Client struct {
	Addr        string        // host:port; DefaultAddr if empty
	Protocol    Protocol      // wire protocol; ProtoLywatch if zero
	Timeout     time.Duration // whole request; DefaultTimeout if zero
	DialTimeout time.Duration // connecting; DefaultDialTimeout (or Timeout if smaller) if zero
	// Token is sent with every lywatch-protocol request; LoadToken's when
	// empty.
	Token string
	// Root is the client's project root, sent with every request: the
	// server then lets clients load layouts and save images under it. A
	// push without one sends the layout's folder.
	Root string
}

func (c *Client) token() (string, error) {
	if c.Token != "" {
		return c.Token, nil
	}
	return LoadToken()
}

// Address returns the address the client connects to: Addr, or the
// protocol's default when Addr is empty.
func (c *Client) Address() string {
	if c.Addr != "" {
		return c.Addr
	}
	if w, err := c.Protocol.wire(); err == nil {
		return w.defaultAddr()
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
			return nil, nil, fmt.Errorf("connect to %s: %w", c.Address(), ctxErr(ctx))
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

// bodyBytes are a payload's description and its bytes.
type bodyBytes struct {
	info Payload
	data []byte
}

// ctxErr is ctx's error, with its cause (such as ErrSuperseded) where it
// has one: errors.Is matches both.
func ctxErr(ctx context.Context) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause == nil || cause == err {
		return err
	}
	return fmt.Errorf("%w (%w)", cause, err)
}

// ioError wraps a read or write error with the address, command and the
// reason (timeout, cancelled).
func (c *Client) ioError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", what, c.Address(), ctxErr(ctx))
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
	return c.call(ctx, cmd, c.Root, args, nil, result)
}

// call sends one request (with its payload's bytes after the line, when
// body is not nil: args["payload"] describes them) and decodes the reply.
func (c *Client) call(ctx context.Context, cmd, root string, args map[string]any, body *bodyBytes, result any) error {
	tok, err := c.token()
	if err != nil {
		return fmt.Errorf("%s: %s: %w", c.Address(), cmd, err)
	}
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer stop()
	req := Request{ID: 1 + rand.Uint64N(1<<31), Cmd: cmd, Token: tok, Root: root, Args: args}
	if body != nil {
		req.Payload = &body.info
	}
	line, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode %s request: %w", c.Address(), cmd, err)
	}
	out := append(line, '\n')
	if body != nil {
		// One write: the line and the layout together.
		out = append(out, body.data...)
	}
	if _, err := conn.Write(out); err != nil {
		return c.ioError(ctx, "send "+cmd+" to", err)
	}
	rep, err := readReply(bufio.NewReader(conn), req.ID)
	if errors.Is(err, ErrMalformedReply) {
		return fmt.Errorf("%s: %s: %w", c.Address(), cmd, err)
	}
	if err != nil {
		return c.ioError(ctx, "read "+cmd+" reply from", err)
	}
	if !rep.OK {
		return &ServerError{Addr: c.Address(), Cmd: cmd, Msg: rep.Error, Code: rep.Code}
	}
	if result != nil && len(rep.Result) > 0 {
		if err := json.Unmarshal(rep.Result, result); err != nil {
			return fmt.Errorf("%s: %s: %w: result: %v", c.Address(), cmd, ErrMalformedReply, err)
		}
	}
	return nil
}

// readReply reads reply lines until the one to request id: an answer
// with that id, or an error reply with no id (the server could not tell
// which request it answers: a line too long, too many connections).
// Replies to other requests are skipped. A line that is not a reply is
// ErrMalformedReply; the reader's errors come as they are.
func readReply(br *bufio.Reader, id uint64) (*Reply, error) {
	for {
		b, err := ReadLine(br, MaxReplySize)
		if err != nil {
			return nil, err
		}
		rep, err := ParseReply(b)
		if err != nil {
			return nil, err
		}
		if rep.ID != nil && *rep.ID == id || rep.ID == nil && !rep.OK {
			return rep, nil
		}
		// A reply to someone else's request: not ours.
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
	w, err := c.Protocol.wire()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := w.push(ctx, c, &pushRequest{path: abs, opt: opt})
	if err != nil {
		return nil, err
	}
	res.Protocol = c.Protocol
	res.Elapsed = time.Since(start)
	return res, nil
}

// pushPartial is an incremental push (lywatch protocol).
func (c *Client) pushPartial(ctx context.Context, path string, opt PushOptions, pt *partial) (*PushResult, error) {
	start := time.Now()
	res, err := lywatchWire{}.push(ctx, c, &pushRequest{path: path, opt: opt, partial: pt})
	if err != nil {
		return nil, err
	}
	res.Protocol, res.Elapsed = ProtoLywatch, time.Since(start)
	return res, nil
}

// Status asks the server for its state and the current view's. With lyipc it
// only pings (the result has no view details); klive has no status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	w, err := c.Protocol.wire()
	if err != nil {
		return nil, err
	}
	return w.status(ctx, c)
}

// Zoom sets the current view's visible box (micrometres).
func (c *Client) Zoom(ctx context.Context, left, bottom, right, top float64) error {
	return c.Call(ctx, CmdZoom, map[string]any{"box": []float64{left, bottom, right, top}}, nil)
}

// SetLayerVisible shows or hides a layer ("L/D" or its name) in the current view.
func (c *Client) SetLayerVisible(ctx context.Context, layer string, visible bool) error {
	return c.Call(ctx, CmdSetLayerVisible, map[string]any{"layer": layer, "visible": visible}, nil)
}

// SaveImage has KLayout save the current view as a PNG of w×h pixels at path
// (a path KLayout can write).
func (c *Client) SaveImage(ctx context.Context, path string, w, h int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	root := c.Root
	if root == "" {
		root = filepath.Dir(abs)
	}
	return c.call(ctx, CmdSaveImage, root, map[string]any{"path": abs, "width": w, "height": h}, nil, nil)
}

// Note shows a one-line note in KLayout's status bar, such as why a build
// failed, until the next push (seconds 0) or for seconds; the layout shown
// stays.
func (c *Client) Note(ctx context.Context, text string, seconds float64) error {
	return c.Call(ctx, CmdNote, map[string]any{"text": text, "seconds": seconds}, nil)
}

// Cells asks for every cell of view n's layout (see CellsReport); it reads
// every shape in KLayout, so it is for small layouts and tests.
func (c *Client) Cells(ctx context.Context, view int) (*CellsReport, error) {
	var r CellsReport
	if err := c.Call(ctx, CmdCells, map[string]any{"view": view}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
