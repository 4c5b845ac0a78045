package ipc

import (
	"bufio"
	"context"
	"fmt"
	"strings"
)

// TextReply is a parsed lyipc reply line: "ACK <value>" or "ERR <message>".
type TextReply struct {
	OK    bool
	Value string // after ACK, or the message after ERR
}

// ParseTextReply parses one lyipc reply line (without its line ending).
func ParseTextReply(line string) (TextReply, error) {
	line = strings.TrimRight(line, "\r\n")
	word, rest, _ := strings.Cut(line, " ")
	switch word {
	case "ACK":
		return TextReply{OK: true, Value: rest}, nil
	case "ERR":
		return TextReply{OK: false, Value: rest}, nil
	}
	return TextReply{}, fmt.Errorf("%w: want ACK or ERR, got %q", ErrMalformedReply, clip([]byte(line)))
}

// QuoteTextArg quotes a lyipc command argument if it holds spaces or quotes.
func QuoteTextArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Text sends one lyipc text command (e.g. "reload view", "ping") and returns
// the value after ACK; an ERR reply is a *ServerError. Works against lyipc
// and lywatch servers whatever c.Protocol is.
func (c *Client) Text(ctx context.Context, command string) (string, error) {
	if strings.ContainsAny(command, "\r\n") {
		return "", fmt.Errorf("lyipc command %q: must be one line", command)
	}
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	defer stop()
	name, _, _ := strings.Cut(command, " ")
	if _, err := conn.Write([]byte(command + "\r\n")); err != nil {
		return "", c.ioError(ctx, "send "+name+" to", err)
	}
	line, err := ReadLine(bufio.NewReader(conn), MaxReplySize)
	if err != nil {
		return "", c.ioError(ctx, "read "+name+" reply from", err)
	}
	rep, err := ParseTextReply(string(line))
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", c.Address(), name, err)
	}
	if !rep.OK {
		return "", &ServerError{Addr: c.Address(), Cmd: name, Msg: rep.Value}
	}
	return rep.Value, nil
}

// lyipcWire is lyipc's protocol: one text command per connection, ACK/ERR.
type lyipcWire struct{}

func (lyipcWire) name() string        { return "lyipc" }
func (lyipcWire) defaultAddr() string { return DefaultAddr }

func (lyipcWire) status(ctx context.Context, c *Client) (*Status, error) {
	if _, err := c.Text(ctx, "ping"); err != nil {
		return nil, err
	}
	return (&Status{Listening: true}).Normalize(), nil
}

func (lyipcWire) push(ctx context.Context, c *Client, req *pushRequest) (*PushResult, error) {
	path := req.path
	cmd := "load " + QuoteTextArg(path)
	switch req.opt.mode() {
	case ModeNew:
		cmd += " 1"
	case ModeReplace:
		cmd += " 0"
	}
	v, err := c.Text(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return &PushResult{File: path, Reply: "ACK " + v}, nil
}
