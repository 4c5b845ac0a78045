package gds

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// parallelGzip is a gzip writer that compresses blocks on several cores,
// as pigz does: each block is deflated on its own with the previous 32 KiB as
// dictionary and ends in a sync flush, so the blocks join into one deflate
// stream of one gzip member that any gzip reader reads.
type parallelGzip struct {
	w         io.Writer
	level     int
	blockSize int
	buf       []byte
	dict      []byte
	crc       uint32
	size      uint32
	queue     chan chan []byte // compressed blocks, in order
	sem       chan struct{}    // bounds blocks in flight
	done      chan error
	pool      sync.Pool
	closed    bool
}

const gzipDictSize = 32 << 10

func newParallelGzip(w io.Writer, level, workers int) (*parallelGzip, error) {
	if _, err := flate.NewWriter(io.Discard, level); err != nil {
		return nil, err
	}
	z := &parallelGzip{
		w: w, level: level, blockSize: 1 << 20,
		queue: make(chan chan []byte, workers+1),
		sem:   make(chan struct{}, workers+1),
		done:  make(chan error, 1),
	}
	// Header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
	if _, err := w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}); err != nil {
		return nil, err
	}
	go z.drain()
	return z, nil
}

// drain writes the compressed blocks in order.
func (z *parallelGzip) drain() {
	var err error
	for ch := range z.queue {
		out := <-ch
		if err == nil {
			_, err = z.w.Write(out)
		}
		<-z.sem
	}
	z.done <- err
}

func (z *parallelGzip) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), z.blockSize-len(z.buf))
		z.buf = append(z.buf, p[:k]...)
		p = p[k:]
		if len(z.buf) == z.blockSize {
			z.dispatch(false)
		}
	}
	return n, nil
}

func (z *parallelGzip) dispatch(final bool) {
	block := z.buf
	z.crc = crc32.Update(z.crc, crc32.IEEETable, block)
	z.size += uint32(len(block))
	dict := z.dict
	if len(block) >= gzipDictSize {
		z.dict = block[len(block)-gzipDictSize:]
	} else {
		z.dict = append(append([]byte(nil), dict...), block...)
		if len(z.dict) > gzipDictSize {
			z.dict = z.dict[len(z.dict)-gzipDictSize:]
		}
	}
	z.buf = make([]byte, 0, z.blockSize)
	ch := make(chan []byte, 1)
	z.sem <- struct{}{}
	z.queue <- ch
	go func() {
		var out bytes.Buffer
		out.Grow(len(block)/2 + 1024)
		fw, _ := z.pool.Get().(*flate.Writer)
		if fw == nil {
			fw, _ = flate.NewWriter(&out, z.level)
		}
		fw.ResetDict(&out, dict)
		fw.Write(block)
		if final {
			fw.Close()
		} else {
			fw.Flush()
		}
		z.pool.Put(fw)
		ch <- out.Bytes()
	}()
}

// Close compresses what is left, waits for all blocks and writes the trailer.
func (z *parallelGzip) Close() error {
	if z.closed {
		return nil
	}
	z.closed = true
	z.dispatch(true)
	close(z.queue)
	if err := <-z.done; err != nil {
		return err
	}
	var tr [8]byte
	binary.LittleEndian.PutUint32(tr[:4], z.crc)
	binary.LittleEndian.PutUint32(tr[4:], z.size)
	_, err := z.w.Write(tr[:])
	return err
}
