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

// Pusher has KLayout show the layout file at a path; pipeline.Pusher and
// an ipc.Client adapter are ones.
type Pusher interface {
	Push(ctx context.Context, path string) (note string, err error)
}

// FileScreen shows each layout by writing it to Path, atomically, and
// pushing Path: KLayout reloads the same file, so the view is kept. A
// Path ending in .gz gets gzip.
type FileScreen struct {
	Path string
	Push Pusher
}

// Show writes layout to the screen's file and pushes it.
func (s FileScreen) Show(ctx context.Context, layout []byte) (string, error) {
	if err := writeLayout(s.Path, layout); err != nil {
		return "", err
	}
	return s.Push.Push(ctx, s.Path)
}

// writeLayout replaces path's content with layout, atomically.
func writeLayout(path string, layout []byte) error {
	gz := bytes.HasPrefix(layout, []byte("\x1f\x8b"))
	if strings.HasSuffix(path, ".gz") && !gz {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(layout)
		if err := zw.Close(); err != nil {
			return err
		}
		layout = b.Bytes()
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".replay-*")
	if err != nil {
		return fmt.Errorf("replay: %w", err)
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
		return fmt.Errorf("replay: write %s: %w", path, err)
	}
	return nil
}
