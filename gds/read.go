package gds

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// ReadOptions tune reading.
type ReadOptions struct {
	// HashOnly keeps, per cell, only its references, its shape count and
	// what hashing needs, and drops the shapes themselves as soon as they are
	// hashed, so memory stays far below the file's size. Hashes works as
	// usual; Diff, WriteFile and Subset need the shapes and report an error
	// (WriteFile) or see no shapes.
	HashOnly bool
	// KeepDigests, with HashOnly, keeps each shape's layer, datatype and
	// 128-bit digest (24 bytes a shape) so that Diff still counts the shapes
	// added and removed per layer.
	KeepDigests bool
	// BlockSize is the size of the blocks read from the stream and handed to
	// the workers; 0 means 4 MiB.
	BlockSize int
}

// ReadFile reads a .gds or .gds.gz file (gzip is recognised by its magic
// bytes, not by the name).
func ReadFile(path string) (*Library, error) {
	return ReadFileContext(context.Background(), path, ReadOptions{})
}

// Read reads a GDSII stream, gzip-compressed or not, from r.
func Read(r io.Reader) (*Library, error) {
	return ReadContext(context.Background(), r, ReadOptions{})
}

// ReadFileContext is ReadFile with a context and options.
func ReadFileContext(ctx context.Context, path string, opts ReadOptions) (*Library, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lib, err := ReadContext(ctx, f, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lib, nil
}

// ReadContext is Read with a context and options.
func ReadContext(ctx context.Context, r io.Reader, opts ReadOptions) (*Library, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	var src io.Reader = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gds: gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	return readStream(ctx, src, opts)
}

// job is a run of whole cells inside one block, handed to a worker.
type job struct {
	seq   int
	block *[]byte
	spans [][2]int // [start, end) of runs of whole cells within the block
	base  int64    // stream offset of the block's first byte
}

type jobResult struct {
	cells    []*Cell
	warnings []Warning
}

// pipeline reads blocks, cuts them at cell boundaries and lets workers parse
// (and, with HashOnly, hash) the cells.
type pipeline struct {
	ctx     context.Context
	opts    ReadOptions
	free    chan *[]byte
	nblocks int
	maxBlks int
	jobs    chan job

	mu      sync.Mutex
	results map[int]jobResult
	err     error
	failed  chan struct{}
	once    sync.Once
}

func (p *pipeline) fail(err error) {
	p.once.Do(func() {
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.failed)
	})
}

func (p *pipeline) getBlock(size int) (*[]byte, error) {
	var b *[]byte
	select {
	case b = <-p.free:
	default:
		if p.nblocks < p.maxBlks {
			p.nblocks++
			nb := make([]byte, 0, size)
			b = &nb
		} else {
			select {
			case b = <-p.free:
			case <-p.failed:
				return nil, errStopped
			case <-p.ctx.Done():
				return nil, p.ctx.Err()
			}
		}
	}
	if cap(*b) < size {
		nb := make([]byte, 0, size)
		b = &nb
	}
	*b = (*b)[:0]
	return b, nil
}

var errStopped = errors.New("gds: stopped")

func readStream(ctx context.Context, r io.Reader, opts ReadOptions) (*Library, error) {
	workers := runtime.GOMAXPROCS(0)
	if opts.BlockSize <= 0 {
		opts.BlockSize = 4 << 20
	}
	p := &pipeline{
		ctx: ctx, opts: opts,
		maxBlks: workers + 3,
		free:    make(chan *[]byte, workers+3),
		jobs:    make(chan job, workers),
		results: make(map[int]jobResult),
		failed:  make(chan struct{}),
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work()
		}()
	}
	lib := &Library{}
	s := &splitter{p: p, r: r, lib: lib}
	njobs, err := s.run()
	close(p.jobs)
	wg.Wait()
	if err != nil && !errors.Is(err, errStopped) {
		return nil, err
	}
	if p.err != nil {
		return nil, p.err
	}
	warnings := s.warnings
	for i := 0; i < njobs; i++ {
		res := p.results[i]
		lib.Cells = append(lib.Cells, res.cells...)
		warnings = append(warnings, res.warnings...)
	}
	sort.SliceStable(warnings, func(i, j int) bool { return warnings[i].Offset < warnings[j].Offset })
	lib.Warnings = warnings
	if err := lib.finish(); err != nil {
		return nil, err
	}
	return lib, nil
}

func (p *pipeline) work() {
	ps := newParser(!p.opts.HashOnly)
	for j := range p.jobs {
		select {
		case <-p.failed:
			continue
		default:
		}
		res, err := p.parseJob(ps, j)
		p.free <- j.block
		if err != nil {
			p.fail(err)
			continue
		}
		p.mu.Lock()
		p.results[j.seq] = res
		p.mu.Unlock()
	}
}

func (p *pipeline) parseJob(ps *parser, j job) (jobResult, error) {
	var res jobResult
	buf := *j.block
	for _, sp := range j.spans {
		it := &recIter{buf: buf[:sp[1]], pos: sp[0], base: j.base}
		for {
			bgn, err := it.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return res, err
			}
			if bgn.typ != recBGNSTR {
				return res, bgn.errorf("expected BGNSTR")
			}
			c, err := ps.parseCell(it, bgn)
			if err != nil {
				return res, err
			}
			if p.opts.HashOnly {
				if c.Name == ContextCellName {
					c.detach()
				} else {
					c.summarize(&ps.entries, p.opts.KeepDigests)
				}
				ps.resetSlab()
			}
			res.cells = append(res.cells, c)
		}
	}
	res.warnings = ps.warnings
	ps.warnings = nil
	return res, nil
}

// splitter reads the stream block by block, handles the library-level
// records itself and hands runs of whole cells to the workers.
type splitter struct {
	p        *pipeline
	r        io.Reader
	lib      *Library
	warnings []Warning
	seq      int // jobs emitted
	eof      bool
	sawUnits bool
	sawHead  bool

	blk       *[]byte  // the block being filled
	base      int64    // stream offset of (*blk)[0]
	pos       int      // next record header in *blk
	spans     [][2]int // runs of whole cells in *blk not yet handed out
	runStart  int      // start of the current run of cells, or -1
	cellStart int      // start of the open cell, or -1
}

// fill reads more of the stream into *b, growing it as needed so that at
// least need bytes are there; io.ErrUnexpectedEOF if the stream ends first.
func (s *splitter) fill(b *[]byte, need int) error {
	for len(*b) < need {
		if s.eof {
			return io.ErrUnexpectedEOF
		}
		if cap(*b) < need {
			nb := make([]byte, len(*b), max(need, 2*cap(*b)))
			copy(nb, *b)
			*b = nb
		}
		n, err := s.r.Read((*b)[len(*b):cap(*b)])
		*b = (*b)[:len(*b)+n]
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			return err
		}
	}
	return nil
}

// emit hands the block's runs of cells to a worker (or the block back to
// the free list) and goes on with next.
func (s *splitter) emit(next *[]byte) error {
	p := s.p
	if err := p.ctx.Err(); err != nil {
		return err
	}
	if len(s.spans) > 0 {
		select {
		case p.jobs <- job{seq: s.seq, block: s.blk, spans: s.spans, base: s.base}:
			s.seq++
		case <-p.failed:
			return errStopped
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
	} else {
		p.free <- s.blk
	}
	s.spans = nil
	s.blk = next
	return nil
}

// closeRun ends the current run of cells at s.pos (at library level).
func (s *splitter) closeRun() {
	if s.runStart >= 0 && s.pos > s.runStart {
		s.spans = append(s.spans, [2]int{s.runStart, s.pos})
	}
	s.runStart = -1
}

// moveOn hands out the block's whole cells and continues in a fresh block
// that starts with the open cell (or the record at pos) and has room for a
// record of n bytes.
func (s *splitter) moveOn(n int) error {
	keep := s.pos
	if s.cellStart >= 0 {
		keep = s.cellStart
	}
	if s.runStart >= 0 && s.runStart < keep {
		s.spans = append(s.spans, [2]int{s.runStart, keep})
	}
	nb, err := s.p.getBlock(max(s.p.opts.BlockSize, 2*(s.pos+n-keep)))
	if err != nil {
		return err
	}
	*nb = append(*nb, (*s.blk)[keep:]...)
	if err := s.emit(nb); err != nil {
		return err
	}
	s.base += int64(keep)
	s.pos -= keep
	s.runStart = -1
	if s.cellStart >= 0 {
		s.cellStart -= keep
		s.runStart = 0
	}
	return nil
}

// skipInCell moves pos over the records of the open cell that are wholly in
// the block, up to one that ends or breaks the cell.
func (s *splitter) skipInCell() {
	buf := *s.blk
	pos := s.pos
	for pos+headerLen <= len(buf) {
		n := int(binary.BigEndian.Uint16(buf[pos:]))
		if n < headerLen || pos+n > len(buf) {
			break
		}
		if t := RecordType(buf[pos+2]); t == recENDSTR || t == recBGNSTR || t == recENDLIB || t == recBGNLIB {
			break
		}
		pos += n
	}
	s.pos = pos
}

// next returns the record at pos, reading more of the stream as needed.
func (s *splitter) next() (record, error) {
	if err := s.fill(s.blk, s.pos+headerLen); err != nil {
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			return record{}, err
		}
		if s.pos == len(*s.blk) {
			return record{}, fmt.Errorf("%w: the stream ends at offset %d without ENDLIB", ErrNoLibrary, s.base+int64(s.pos))
		}
		return record{}, &FormatError{Offset: s.base + int64(s.pos), Msg: "truncated record header"}
	}
	hdr := (*s.blk)[s.pos:]
	n := int(binary.BigEndian.Uint16(hdr))
	r := record{typ: RecordType(hdr[2]), dt: DataType(hdr[3]), off: s.base + int64(s.pos)}
	if n < headerLen {
		return r, r.errorf("bad record length %d", n)
	}
	if s.pos+n > cap(*s.blk) && s.pos > 0 {
		if err := s.moveOn(n); err != nil {
			return r, err
		}
	}
	if err := s.fill(s.blk, s.pos+n); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return r, r.errorf("truncated: record length %d, stream ends at offset %d", n, s.base+int64(len(*s.blk)))
		}
		return r, err
	}
	r.data = (*s.blk)[s.pos+headerLen : s.pos+n]
	return r, nil
}

// run splits the whole stream; it returns the number of jobs emitted.
func (s *splitter) run() (int, error) {
	blk, err := s.p.getBlock(s.p.opts.BlockSize)
	if err != nil {
		return 0, err
	}
	s.blk, s.runStart, s.cellStart = blk, -1, -1
	for {
		if s.cellStart >= 0 {
			s.skipInCell()
		}
		r, err := s.next()
		if err != nil {
			return s.seq, err
		}
		size := headerLen + len(r.data)
		if s.cellStart >= 0 {
			switch r.typ {
			case recENDSTR:
				s.cellStart = -1
			case recBGNSTR, recENDLIB, recBGNLIB:
				return s.seq, r.errorf("inside the cell that begins at offset %d, which has no ENDSTR", s.base+int64(s.cellStart))
			}
			s.pos += size
			continue
		}
		if r.typ == recBGNSTR {
			if !s.sawUnits {
				return s.seq, r.errorf("cell before the library's UNITS")
			}
			s.cellStart = s.pos
			if s.runStart < 0 {
				s.runStart = s.pos
			}
			s.pos += size
			continue
		}
		s.closeRun()
		s.pos += size
		done, err := s.libRecord(r)
		if err != nil {
			return s.seq, err
		}
		if done {
			return s.seq, s.emit(nil)
		}
	}
}

// libRecord handles a record outside any cell; done is true at ENDLIB.
func (s *splitter) libRecord(r record) (done bool, err error) {
	lib := s.lib
	if !s.sawHead && r.typ != recHEADER {
		return false, r.errorf("stream does not start with HEADER")
	}
	switch r.typ {
	case recHEADER:
		if s.sawHead {
			return false, r.errorf("second HEADER")
		}
		s.sawHead = true
		v, err := int16Of(r)
		if err != nil {
			return false, err
		}
		lib.Version = v
	case recBGNLIB:
		for i := 0; i < 12 && 2*i+2 <= len(r.data); i++ {
			lib.Times[i] = int16At(r.data, i)
		}
	case recLIBNAME:
		lib.Name = string(trimString(r.data))
	case recUNITS:
		if len(r.data) < 16 {
			return false, r.errorf("data length %d, want 16", len(r.data))
		}
		lib.UserUnit, lib.DBU = real8ToFloat(r.data), real8ToFloat(r.data[8:])
		s.sawUnits = true
	case recENDLIB:
		if !s.sawUnits {
			return false, r.errorf("library without UNITS")
		}
		return true, nil
	case recREFLIBS, recFONTS, recATTRTABLE, recGENERATIONS, recFORMAT, recMASK, recENDMASKS,
		recLIBDIRSIZE, recSRFNAME, recLIBSECUR, recTAPENUM, recTAPECODE:
		lib.Extra = append(lib.Extra, RawRecord{Type: r.typ, Data: append([]byte(nil), r.data...)})
	default:
		s.warnings = append(s.warnings, Warning{Offset: r.off, Record: r.typ, Msg: "unexpected outside a cell; skipped"})
	}
	return false, nil
}
