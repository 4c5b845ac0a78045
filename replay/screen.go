package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lywatch/lywatch/internal/atomicfile"
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
	// As a build's own output, the file and its folder get the modes the
	// umask gives (0644 and 0755 under umask 022, 0600 and 0700 under 077).
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if err := atomicfile.WriteFile(path, layout, 0o666); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return layout, nil
}
