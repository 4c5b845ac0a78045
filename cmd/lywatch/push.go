package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lywatch/lywatch/ipc"
)

const pushUsage = `Usage: lywatch push FILE [flags]

Pushes a layout into a running KLayout and exits 0 once KLayout confirms.
With the lywatch server (lywatch klayout start), every view showing the file
is reloaded keeping its view box, layers, cell and hierarchy depth; a file
not open yet opens in a new view. Without --klayout it goes to the KLayout
started for this project, else the only one running, else 127.0.0.1:11078.
Also speaks to stock lyipc and klive servers.
`

func runPush(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	usage(fs, pushUsage)
	tf := addIPCTargetFlags(fs, ipc.DefaultTimeout)
	newView := fs.Bool("new-view", false, "open in a new view even if the file is open already")
	force := fs.Bool("force", false, "reload even a view with unsaved edits in KLayout (they are lost)")
	bytesFlag := fs.String("bytes", "auto", "send the layout itself, not its path: auto (when the target is not this machine, or KLayout cannot read the path), always or never")
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
	cs, err := tf.clients()
	if err != nil {
		return e.errorf("push: %v", err)
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		return e.errorf("push: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		return e.errorf("push: %v", err)
	}
	mode, err := ipc.ParseBytesMode(*bytesFlag)
	if err != nil {
		return e.errorf("push: --bytes: %v", err)
	}
	var data []byte
	var results []pushJSON
	failed := false
	bold, dim := colors(e, *noColor)
	for _, c := range cs {
		opt := ipc.PushOptions{NewView: *newView, Force: *force}
		if c.Protocol == ipc.ProtoLywatch && (mode == ipc.BytesAlways || (mode == ipc.BytesAuto && !ipc.IsLoopback(c.Address()))) {
			if data == nil {
				if data, err = os.ReadFile(path); err != nil {
					return e.errorf("push: %v", err)
				}
			}
			opt.Data = data
		}
		res, err := c.Push(ctx, path, opt)
		var se *ipc.ServerError
		if err != nil && opt.Data == nil && mode == ipc.BytesAuto && errors.As(err, &se) && se.Code == ipc.CodeNotAllowed {
			// KLayout cannot read this path (a container's, a tunnel's end): send the layout.
			if data == nil {
				data, _ = os.ReadFile(path)
			}
			opt.Data = data
			res, err = c.Push(ctx, path, opt)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "lywatch: push: %v\n", err)
			failed = true
			continue
		}
		if *asJSON {
			results = append(results, newPushJSON(c.Address(), res))
			continue
		}
		detail := res.Type
		if res.Cell != "" {
			detail += ", cell " + res.Cell
		}
		if detail != "" {
			detail += ", "
		}
		if res.Sent > 0 {
			detail += fmt.Sprintf("%s sent, ", byteSize(res.Sent))
		}
		fmt.Fprintf(e.stdout, "pushed %s %s\n", bold.Sprint(filepath.Base(path)),
			dim.Sprintf("(%s%s via %s to %s)", detail, ipcDuration(res.Elapsed), res.Protocol, c.Address()))
	}
	if *asJSON {
		if len(results) == 1 && len(cs) == 1 {
			writeJSON(e, results[0])
		} else if len(results) > 0 {
			writeJSON(e, results)
		}
	}
	if failed {
		return exitFail
	}
	return exitOK
}

// pushJSON is the --json form of a push result.
type pushJSON struct {
	Target    string  `json:"target"`
	Protocol  string  `json:"protocol"`
	Type      string  `json:"type"`
	File      string  `json:"file"`
	Cell      string  `json:"cell"`
	View      int     `json:"view"`
	LoadMS    float64 `json:"load_ms"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Sent      int64   `json:"sent"` // bytes of layout in the message (0: the path only)
	Source    string  `json:"source"`
	Reply     string  `json:"reply"`
}

func newPushJSON(target string, r *ipc.PushResult) pushJSON {
	return pushJSON{
		Target: target, Protocol: r.Protocol.String(), Type: r.Type, File: r.File, Cell: r.Cell, View: r.View,
		LoadMS:    float64(r.Load.Microseconds()) / 1000,
		ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000,
		Sent:      r.Sent, Source: r.Source,
		Reply: r.Reply,
	}
}

// byteSize writes n bytes as people read them.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
