package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lywatch/lywatch/session"
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
	// As a build's own output, the file and its folder get the modes the
	// umask gives (0644 and 0755 under umask 022, 0600 and 0700 under 077).
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if err := session.WriteFileAtomic(path, layout, 0o666); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}
