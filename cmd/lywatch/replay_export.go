package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/render"
	"github.com/lywatch/lywatch/replay"
	"github.com/lywatch/lywatch/session"
)

// exportReplay renders the frames with KLayout into a GIF (--gif) and/or
// PNGs (--png) and pushes nothing.
func exportReplay(ctx context.Context, e *env, f *replayFlags, rec *pipeline.Recorded, frames []replay.Frame) int {
	start := time.Now()
	o := render.Options{KLayout: f.klayoutProgram, Cell: f.cell, LayerProps: f.lyp}
	var err error
	if o.Width, o.Height, err = render.ParseSize(f.size); err != nil {
		return e.errorf("replay: --size: %v", err)
	}
	if o.Box, err = exportBox(ctx, f); err != nil {
		return e.errorf("replay: --box: %v", err)
	}
	tmp, err := os.MkdirTemp("", "lywatch-replay-")
	if err != nil {
		return e.errorf("replay: %v", err)
	}
	defer os.RemoveAll(tmp)
	layouts := make([]string, len(frames))
	for i, fr := range frames {
		b, err := fr.Load()
		if err != nil {
			return e.errorf("replay: %s: %v", fr.Title, err)
		}
		layouts[i] = filepath.Join(tmp, fmt.Sprintf("frame-%04d.gds", i+1))
		if err := os.WriteFile(layouts[i], b, 0o644); err != nil {
			return e.errorf("replay: %v", err)
		}
	}
	pngDir := f.png
	if pngDir == "" {
		pngDir = filepath.Join(tmp, "png")
	}
	pngs, err := render.PNGs(ctx, layouts, pngDir, o)
	if err != nil {
		return e.errorf("replay: %v", err)
	}
	for i, fr := range frames {
		fmt.Fprintf(e.stdout, "[%d/%d] %s\n", i+1, len(frames), fr.Title)
	}
	what := fmt.Sprintf("%s of %s", plural(len(frames), "frame"), rec.Target)
	if f.png != "" {
		fmt.Fprintf(e.stdout, "wrote %s: %s, %dx%d, drawn by KLayout in %s\n", f.png, what, o.Width, o.Height, ipcDuration(time.Since(start)))
	}
	if f.gif == "" {
		return exitOK
	}
	if err := writeGIF(f.gif, pngs, frameDelay(f.fps)); err != nil {
		return e.errorf("replay: %v", err)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s, %dx%d at %g fps, drawn by KLayout in %s\n", f.gif, what, o.Width, o.Height, f.fps, ipcDuration(time.Since(start)))
	return exitOK
}

// exportBox is the --box: given, KLayout's current view, or nil (the
// frames' union).
func exportBox(ctx context.Context, f *replayFlags) (*[4]float64, error) {
	switch f.box {
	case "":
		return nil, nil
	case "view":
		c, err := f.kl.client()
		if err != nil {
			return nil, err
		}
		st, err := c.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("the view of KLayout: %w", err)
		}
		if len(st.Box) != 4 {
			return nil, fmt.Errorf("KLayout at %s shows no layout, so it has no view box", c.Address())
		}
		return &[4]float64{st.Box[0], st.Box[1], st.Box[2], st.Box[3]}, nil
	}
	return render.ParseBox(f.box)
}

// writeGIF writes the animation to path, atomically.
func writeGIF(path string, pngs []string, delay time.Duration) error {
	var b bytes.Buffer
	if err := render.GIF(&b, pngs, delay); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return session.WriteFileAtomic(path, b.Bytes(), 0o644)
}
