package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/lywatch/lywatch/gds"
)

// gzipMagic starts every gzip stream.
const gzipMagic = "\x1f\x8b"

// gzipChunk is the size of the pieces a large layout is cut into to be
// compressed on every core: each piece is a gzip member of its own, and
// the members one after another are one valid gzip file (RFC 1952, 2.2),
// as gzip, zlib's gzread (KLayout), Python and Go read it.
const gzipChunk = 4 << 20

// storeLayout writes layout to dst atomically, gzip-compressed: a layout
// that is already gzip (by its magic bytes) is stored as it is, anything
// else is compressed at the given level without being parsed. It returns
// the stored file's SHA-256 and size, and the SHA-256 of layout itself as
// Source: the bytes hashed are the bytes stored.
func storeLayout(dst string, layout []byte, level int) (Layout, error) {
	if len(layout) == 0 {
		return Layout{}, errors.New("session: layout is empty")
	}
	raw := sha256.Sum256(layout)
	stored := layout
	if !bytes.HasPrefix(layout, []byte(gzipMagic)) {
		var err error
		if stored, err = compress(layout, level, gzipChunk); err != nil {
			return Layout{}, fmt.Errorf("session: compress layout: %w", err)
		}
	}
	sum := sha256.Sum256(stored)
	if err := WriteFileAtomic(dst, stored, filePerm); err != nil {
		return Layout{}, fmt.Errorf("session: %w", err)
	}
	return Layout{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(stored)), Source: hex.EncodeToString(raw[:])}, nil
}

// compress gzips b at level, in pieces of chunk bytes compressed in
// parallel when b is larger than one piece.
func compress(b []byte, level, chunk int) ([]byte, error) {
	n := (len(b) + chunk - 1) / chunk
	parts := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			piece := b[i*chunk : min((i+1)*chunk, len(b))]
			var out bytes.Buffer
			out.Grow(len(piece)/3 + 64)
			zw, err := gzip.NewWriterLevel(&out, level)
			if err == nil {
				_, err = zw.Write(piece)
			}
			if err == nil {
				err = zw.Close()
			}
			parts[i], errs[i] = out.Bytes(), err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return bytes.Join(parts, nil), nil
}

// decompress gunzips b (every member), sized by its trailer's length.
func decompress(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out bytes.Buffer
	if len(b) >= 4 {
		out.Grow(int(binary.LittleEndian.Uint32(b[len(b)-4:])))
	}
	if _, err := io.Copy(&out, zr); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// checkLayout verifies that the file at p is the layout l describes:
// its size first, then its SHA-256.
func checkLayout(p string, l Layout) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.Size() != l.Size {
		return fmt.Errorf("%s: %d bytes, manifest says %d", p, fi.Size(), l.Size)
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if hex.EncodeToString(h.Sum(nil)) != l.SHA256 {
		return fmt.Errorf("%s: checksum mismatch: the layout was changed or damaged", p)
	}
	return nil
}

// readStoredLayout reads the first of the files at paths that is the
// stored layout l describes (size, owner and SHA-256 checked on the bytes
// read), and returns its bytes. The error names the first file's fault.
func readStoredLayout(paths []string, l Layout) ([]byte, error) {
	var first error
	for _, p := range paths {
		b, err := readOwned(p)
		if err == nil && int64(len(b)) != l.Size {
			err = fmt.Errorf("%s: %d bytes, manifest says %d", p, len(b), l.Size)
		}
		if err == nil {
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != l.SHA256 {
				err = fmt.Errorf("%s: checksum mismatch: the layout was changed or damaged", p)
			}
		}
		if err == nil {
			return b, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// LayoutBytes returns the layout that the Save which wrote m was given
// (the build's output, byte for byte: a .gds, or a .gds.gz when the build
// wrote gzip), m being a manifest Load returned for target. It reads the
// stored file once into memory and checks those bytes before returning
// them: the stored file's size and SHA-256 against m.Layout, the layout's
// SHA-256 against m.Layout.Source, and that it reads as GDS. A reader
// without the lock whose manifest a concurrent save has just replaced
// finds the layout in the history. Any fault is a *Warning: rebuild.
func (s *Store) LayoutBytes(ctx context.Context, target string, m *Manifest) ([]byte, error) {
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	if m == nil || m.Target != target || m.Layout.File != cellsName || m.Layout.Source == "" {
		return nil, fmt.Errorf("session: %s: no stored layout (load the target's manifest first)", target)
	}
	cells := s.LayoutPath(target)
	warn := func(err error) ([]byte, error) { return nil, &Warning{Path: s.rel(cells), Err: err} }
	stored, err := readStoredLayout(s.layoutCandidates(target, m.Layout), m.Layout)
	// A reader without the lock can race a save that moves the layout
	// from .next to its place and into the history: look again.
	for try := 0; try < 3 && err != nil && s.readOnly; try++ {
		stored, err = readStoredLayout(s.layoutCandidates(target, m.Layout), m.Layout)
	}
	if err != nil {
		return warn(err)
	}
	out := stored
	gz := stored
	if m.Layout.Source != m.Layout.SHA256 { // compressed by Save: give back what it was given
		if out, err = decompress(stored); err != nil {
			return warn(fmt.Errorf("gzip: %w", err))
		}
		gz = nil
	}
	if sum := sha256.Sum256(out); hex.EncodeToString(sum[:]) != m.Layout.Source {
		return warn(fmt.Errorf("the layout's content %w", errLayoutMismatch))
	}
	src := out
	if gz != nil {
		src = gz
	}
	if _, err := gds.ReadContext(ctx, bytes.NewReader(src), gds.ReadOptions{HashOnly: true}); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return warn(fmt.Errorf("does not read as GDS: %w", err))
	}
	return out, nil
}

// layoutCandidates lists where target's stored layout l may be: in place,
// as the .next file a save or a crash left, and in the history.
func (s *Store) layoutCandidates(target string, l Layout) []string {
	cells := s.LayoutPath(target)
	paths := []string{cells, cells + nextSuffix}
	hdir := filepath.Join(s.TargetDir(target), historyDir)
	if frames, err := listFrames(hdir, s.key); err == nil {
		for i := len(frames) - 1; i >= 0; i-- {
			if frames[i].Layout.SHA256 == l.SHA256 {
				paths = append(paths, filepath.Join(hdir, frames[i].Layout.File))
				break
			}
		}
	}
	return paths
}

// RestoreLayout makes the file at dst hold target's stored layout, the
// bytes LayoutBytes returns, unless it holds them already (its SHA-256 is
// m.Layout.Source). Nothing is written unless those bytes were checked
// first; dst is replaced atomically and created, like a build's output,
// with mode 0666 less the umask. m is a manifest Load returned for target.
func (s *Store) RestoreLayout(ctx context.Context, target string, m *Manifest, dst string) error {
	if m != nil {
		if sum, err := fileSHA256(dst); err == nil && sum == m.Layout.Source {
			return nil
		}
	}
	b, err := s.LayoutBytes(ctx, target, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), dirPerm); err != nil {
		return fmt.Errorf("session: restore %s: %w", dst, err)
	}
	if err := WriteFileAtomic(dst, b, filePerm); err != nil {
		return fmt.Errorf("session: restore: %w", err)
	}
	return nil
}

// fileSHA256 returns the hex SHA-256 of a file.
func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
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

// isNotExist reports a missing file.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
