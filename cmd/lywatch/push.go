package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/lywatch/lywatch/ipc"
)

const pushUsage = `Usage: lywatch push FILE [flags]

Pushes a layout into a running KLayout and exits 0 once KLayout confirms.
With the lywatch server (lywatch klayout start), a file already open is
reloaded keeping the view box, layers, cell and hierarchy depth; otherwise
it opens in a new view. Also speaks to stock lyipc and klive servers.
`

func runPush(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	usage(fs, pushUsage)
	tf := addKLayoutFlags(fs, ipc.DefaultTimeout)
	newView := fs.Bool("new-view", false, "open in a new view even if the file is open already")
	force := fs.Bool("force", false, "reload even a view with unsaved edits in KLayout (they are lost)")
	asJSON := fs.Bool("json", false, "print KLayout's confirmation as JSON")
	noColor := fs.Bool("no-color", false, "no colours")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return e.errorf("push: want one FILE, got %d arguments", len(pos))
	}
	c, err := tf.client()
	if err != nil {
		return e.errorf("push: %v", err)
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		return e.errorf("push: %v", err)
	}
	if _, err := os.Stat(path); err != nil && ipcLoopback(c.Addr) {
		return e.errorf("push: %v", err)
	}
	res, err := c.Push(ctx, path, ipc.PushOptions{NewView: *newView, Force: *force})
	if err != nil {
		fmt.Fprintf(e.stderr, "lywatch: push: %v\n", err)
		return exitFail
	}
	if *asJSON {
		return writeJSON(e, pushJSON(res))
	}
	bold, dim := colors(e, *noColor)
	detail := res.Type
	if res.Cell != "" {
		detail += ", cell " + res.Cell
	}
	if detail != "" {
		detail += ", "
	}
	fmt.Fprintf(e.stdout, "pushed %s %s\n", bold.Sprint(filepath.Base(path)),
		dim.Sprintf("(%s%s via %s to %s)", detail, ipcDuration(res.Elapsed), res.Protocol, c.Address()))
	return exitOK
}

// pushJSON is the --json form of a push result.
func pushJSON(r *ipc.PushResult) map[string]any {
	return map[string]any{
		"protocol":   r.Protocol.String(),
		"type":       r.Type,
		"file":       r.File,
		"cell":       r.Cell,
		"view":       r.View,
		"load_ms":    float64(r.Load.Microseconds()) / 1000,
		"elapsed_ms": float64(r.Elapsed.Microseconds()) / 1000,
		"reply":      r.Reply,
	}
}

func ipcLoopback(addr string) bool {
	if addr == "" {
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func ipcDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
