package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Screen shows one layout in KLayout, keeping the view (box, layers,
// cell). The note says what KLayout did ("reload").
type Screen interface {
	Show(ctx context.Context, layout []byte) (note string, err error)
}

// Pusher has KLayout show the layout file at a path, given the bytes it
// holds (to send only the cells that changed since the push before).
type Pusher interface {
	Push(ctx context.Context, path string, layout []byte) (note string, err error)
}

// FileScreen shows each layout by writing it to Path, atomically, and
// pushing Path: KLayout shows the same file again, so the view is kept. A
// Path ending in .gz gets gzip.
type FileScreen struct {
	Path string
	Push Pusher
}

// Show writes layout to the screen's file and pushes it.
func (s FileScreen) Show(ctx context.Context, layout []byte) (string, error) {
	written, err := writeLayout(s.Path, layout)
	if err != nil {
		return "", err
	}
	return s.Push.Push(ctx, s.Path, written)
}

// writeLayout replaces path's content with layout, atomically, and
// returns what it wrote.
func writeLayout(path string, layout []byte) ([]byte, error) {
	gz := bytes.HasPrefix(layout, []byte("\x1f\x8b"))
	if strings.HasSuffix(path, ".gz") && !gz {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(layout)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		layout = b.Bytes()
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".replay-*")
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	_, err = f.Write(layout)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("replay: write %s: %w", path, err)
	}
	return layout, nil
}
