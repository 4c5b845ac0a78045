package session

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/klauspost/compress/gzip"
)

// gzipMagic starts every gzip stream.
const gzipMagic = "\x1f\x8b"

// storeLayout writes the layout at src to dst atomically, gzip-compressed:
// a layout that is already gzip (by its magic bytes) is copied as it is,
// anything else is compressed at the given level without being parsed. It
// returns the stored file's SHA-256 and size.
func storeLayout(dst, src string, level int) (Layout, error) {
	in, err := os.Open(src)
	if err != nil {
		return Layout{}, fmt.Errorf("session: layout: %w", err)
	}
	defer in.Close()
	r := bufio.NewReaderSize(in, 256<<10)
	head, err := r.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return Layout{}, fmt.Errorf("session: layout %s: %w", src, err)
	}
	if len(head) == 0 {
		return Layout{}, fmt.Errorf("session: layout %s is empty", src)
	}
	isGzip := string(head) == gzipMagic
	raw := sha256.New()
	r = bufio.NewReaderSize(io.TeeReader(r, raw), 256<<10) // the file as given, hashed on the way
	h := sha256.New()
	var size int64
	err = writeAtomic(dst, filePerm, func(w io.Writer) error {
		cw := &countWriter{w: io.MultiWriter(w, h)}
		defer func() { size = cw.n }()
		if isGzip {
			_, err := io.Copy(cw, r)
			return err
		}
		zw, err := gzip.NewWriterLevel(cw, level)
		if err != nil {
			return err
		}
		if _, err := io.Copy(zw, r); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return Layout{}, err
	}
	return Layout{SHA256: hex.EncodeToString(h.Sum(nil)), Size: size, Source: hex.EncodeToString(raw.Sum(nil))}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// fileSHA256 returns the hex SHA-256 and size of a file.
func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// checkLayout verifies that the file at p is the layout l describes.
func checkLayout(p string, l Layout) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.Size() != l.Size {
		return fmt.Errorf("%s: %d bytes, manifest says %d", p, fi.Size(), l.Size)
	}
	sum, _, err := fileSHA256(p)
	if err != nil {
		return err
	}
	if sum != l.SHA256 {
		return fmt.Errorf("%s: checksum mismatch: the layout was changed or damaged", p)
	}
	return nil
}

// isNotExist reports a missing file.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
