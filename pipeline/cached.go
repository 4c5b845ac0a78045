package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
)

// restoreStage makes a target the session serves whole again on disk: its
// output file is the cached layout again when it is missing or differs (a
// build elsewhere, a deleted build folder).
type restoreStage struct{ p *Pipeline }

func (restoreStage) name() string { return "restore" }

func (s restoreStage) run(ctx context.Context, b *built) (string, error) {
	p, key, out := s.p, b.target.Key(), b.target.Output
	if out == "" || p.store == nil {
		return "", errNothingToDo
	}
	p.mu.Lock()
	m := p.manifests[key]
	p.mu.Unlock()
	if m == nil {
		return "", fmt.Errorf("session: %s: no cached layout", key)
	}
	if sum, err := fileSHA256(out); err == nil && sum == m.Layout.Source {
		return "", errNothingToDo
	}
	src, err := os.Open(p.store.LayoutPath(key))
	if err != nil {
		return "", err
	}
	defer src.Close()
	zr, err := gzip.NewReader(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.store.LayoutPath(key), err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".lywatch-restore-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, zr); err != nil {
		tmp.Close()
		return "", fmt.Errorf("restore %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return "rewrote the output", nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
