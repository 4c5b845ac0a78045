package gds

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// parallelGzip is a gzip writer that compresses blocks on several cores,
// as pigz does: each block is deflated on its own with the previous 32 KiB as
// dictionary and ends in a sync flush, so the blocks join into one deflate
// stream of one gzip member that any gzip reader reads. Blocks, their
// buffers and the deflaters are recycled.
type parallelGzip struct {
	w         io.Writer
	level     int
	blockSize int
	cur       *gzBlock
	tail      []byte // the last 32 KiB written before cur
	crc       uint32
	size      uint32
	queue     chan *gzBlock // dispatched blocks, in order
	free      chan *gzBlock
	writers   chan *flate.Writer
	nblocks   int
	done      chan error
	closed    bool
}

type gzBlock struct {
	in, dict []byte
	out      bytes.Buffer
	final    bool
	ready    chan struct{}
}

const gzipDictSize = 32 << 10

func newParallelGzip(w io.Writer, level, workers int) (*parallelGzip, error) {
	if _, err := flate.NewWriter(io.Discard, level); err != nil {
		return nil, err
	}
	n := workers + 2
	z := &parallelGzip{
		w: w, level: level, blockSize: 1 << 20, nblocks: n,
		queue:   make(chan *gzBlock, n),
		free:    make(chan *gzBlock, n),
		writers: make(chan *flate.Writer, n),
		done:    make(chan error, 1),
	}
	for i := 0; i < n; i++ {
		z.free <- &gzBlock{ready: make(chan struct{}, 1)}
	}
	// Header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
	if _, err := w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}); err != nil {
		return nil, err
	}
	z.cur = <-z.free
	go z.drain()
	return z, nil
}

// drain writes the compressed blocks in order and recycles them.
func (z *parallelGzip) drain() {
	var err error
	for b := range z.queue {
		<-b.ready
		if err == nil {
			_, err = z.w.Write(b.out.Bytes())
		}
		b.out.Reset()
		b.in = b.in[:0]
		z.free <- b
	}
	z.done <- err
}

// Write gathers p into blocks and compresses each full one.
func (z *parallelGzip) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if z.cur.in == nil {
			z.cur.in = make([]byte, 0, z.blockSize)
		}
		k := min(len(p), z.blockSize-len(z.cur.in))
		z.cur.in = append(z.cur.in, p[:k]...)
		p = p[k:]
		if len(z.cur.in) == z.blockSize {
			z.dispatch(false)
		}
	}
	return n, nil
}

func (z *parallelGzip) dispatch(final bool) {
	b := z.cur
	z.crc = crc32.Update(z.crc, crc32.IEEETable, b.in)
	z.size += uint32(len(b.in))
	b.dict = append(b.dict[:0], z.tail...)
	z.tail = append(z.tail, b.in[max(0, len(b.in)-gzipDictSize):]...)
	z.tail = z.tail[max(0, len(z.tail)-gzipDictSize):]
	b.final = final
	z.queue <- b
	go z.compress(b)
	if !final {
		z.cur = <-z.free
	}
}

func (z *parallelGzip) compress(b *gzBlock) {
	var fw *flate.Writer
	select {
	case fw = <-z.writers:
	default:
		fw, _ = flate.NewWriter(io.Discard, z.level)
	}
	fw.ResetDict(&b.out, b.dict)
	fw.Write(b.in)
	if b.final {
		fw.Close()
	} else {
		fw.Flush()
	}
	select {
	case z.writers <- fw:
	default:
	}
	b.ready <- struct{}{}
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
