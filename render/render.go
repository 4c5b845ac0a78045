// Package render draws layouts as images with KLayout's own renderer and
// makes animations of them. One batch-mode KLayout (klayout -b, a
// standalone LayoutView: no window, no display) renders every frame to a
// PNG; GIF assembles the PNGs into an animated GIF with image/gif.
package render

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed render.py
var script []byte

// Default image size.
const (
	DefaultWidth  = 800
	DefaultHeight = 600
)

// Options say how the frames are drawn.
type Options struct {
	// KLayout is the klayout program ("": klayout on PATH).
	KLayout string
	// Box is the area shown, in micrometres: left, bottom, right, top
	// (nil: the union of the frames' boxes, so nothing jumps).
	Box *[4]float64
	// Cell is the cell shown ("": the largest top cell).
	Cell string
	// Width and Height are the image size in pixels (0: the defaults).
	Width, Height int
	// LayerProps is a KLayout layer properties file (.lyp); "": KLayout's
	// default colours for the union of the frames' layers, the same in
	// every frame.
	LayerProps string
}

// job is what render.py reads.
type job struct {
	Frames  []string    `json:"frames"`
	PNGs    []string    `json:"pngs"`
	Box     *[4]float64 `json:"box"`
	Cell    string      `json:"cell"`
	Width   int         `json:"width"`
	Height  int         `json:"height"`
	LYP     string      `json:"lyp"`
	Scratch string      `json:"scratch"`
}

// PNGs renders each layout file (GDS) into dir as frame-NNNN.png, in one
// KLayout process, and returns the images' paths in order.
func PNGs(ctx context.Context, layouts []string, dir string, o Options) ([]string, error) {
	if len(layouts) == 0 {
		return nil, errors.New("render: no layouts")
	}
	kl := o.KLayout
	if kl == "" {
		kl = "klayout"
	}
	bin, err := exec.LookPath(kl)
	if err != nil {
		return nil, fmt.Errorf("render: KLayout draws the frames, and %q was not found (apt-get install klayout, or give its path): %w", kl, err)
	}
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.Height <= 0 {
		o.Height = DefaultHeight
	}
	if o.LayerProps != "" {
		if _, err := os.Stat(o.LayerProps); err != nil {
			return nil, fmt.Errorf("render: layer properties: %w", err)
		}
		if o.LayerProps, err = filepath.Abs(o.LayerProps); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	scratch, err := os.MkdirTemp("", "lywatch-render-")
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	defer os.RemoveAll(scratch)
	j := job{Frames: layouts, Box: o.Box, Cell: o.Cell, Width: o.Width, Height: o.Height, LYP: o.LayerProps, Scratch: scratch}
	for i := range layouts {
		j.PNGs = append(j.PNGs, filepath.Join(dir, fmt.Sprintf("frame-%04d.png", i+1)))
	}
	jb, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	jobPath, scriptPath := filepath.Join(scratch, "job.json"), filepath.Join(scratch, "render.py")
	if err := os.WriteFile(jobPath, jb, 0o644); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if err := os.WriteFile(scriptPath, script, 0o644); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-b", "-r", scriptPath, "-rd", "job="+jobPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		return nil, fmt.Errorf("render: klayout -b: %v: %s", err, msg)
	}
	for _, p := range j.PNGs {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("render: KLayout wrote no %s: %s", p, strings.TrimSpace(stderr.String()))
		}
	}
	return j.PNGs, nil
}

// ParseBox parses "x1,y1,x2,y2" (micrometres) into a box, corners in any
// order.
func ParseBox(s string) (*[4]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, fmt.Errorf("box %q: want x1,y1,x2,y2 in micrometres", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("box %q: coordinate %d: %q is not a number", s, i+1, p)
		}
		v[i] = f
	}
	b := [4]float64{min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])}
	if b[0] == b[2] || b[1] == b[3] {
		return nil, fmt.Errorf("box %q is empty", s)
	}
	return &b, nil
}

// ParseSize parses "WxH" in pixels.
func ParseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		var err1, err2 error
		w, err1 = strconv.Atoi(ws)
		h, err2 = strconv.Atoi(hs)
		ok = err1 == nil && err2 == nil
	}
	if !ok || w < 16 || h < 16 || w > 8192 || h > 8192 {
		return 0, 0, fmt.Errorf("size %q: want WIDTHxHEIGHT in pixels, 16 to 8192 each (800x600)", s)
	}
	return w, h, nil
}
