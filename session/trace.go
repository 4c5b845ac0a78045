package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Trace is what a build traced while it ran: the layouts it handed to
// lywatch step by step, kept with the history frame of its result.
type Trace struct {
	// Dir is the folder in the history folder holding the steps' layouts.
	Dir string `json:"dir"`
	// Steps are the kept steps, in the order the build wrote them.
	Steps []TraceStep `json:"steps"`
	// Dropped counts the steps past the bounds of the trace: counted,
	// not kept.
	Dropped int `json:"dropped,omitempty"`
}

// TraceStep is one traced layout.
type TraceStep struct {
	// Label is what the build called the step ("" if nothing).
	Label string `json:"label,omitempty"`
	// Cell is the cell the build traced, if it said.
	Cell string `json:"cell,omitempty"`
	// Time is when the build wrote it.
	Time time.Time `json:"time"`
	// Layout is the step's compressed layout; its File is relative to the
	// trace's Dir.
	Layout Layout `json:"layout"`
}

// TraceInput is one step to keep: a layout file (GDS, or gzip of it)
// and what the build said of it.
type TraceInput struct {
	Label string
	Cell  string
	Time  time.Time
	// Path is the layout file; it is read, not kept.
	Path string
}

// traceDirName is the name of a frame's trace folder of a given
// generation (a new trace for the same frame gets a new folder, so the
// frame's record is the commit point).
func traceDirName(seq, gen int) string { return fmt.Sprintf("%08d.trace-%d", seq, gen) }

// SaveTrace keeps steps as the trace of target's history frame seq (the
// Frame SaveBuild returned), replacing the trace it had: an identical
// rebuild keeps the newest trace of its layout. dropped counts the steps
// the build wrote past the bounds. Each step's layout is compressed into
// the history folder; the frame's record, rewritten last, is the commit
// point. The history is pruned again to its bounds afterwards.
func (s *Store) SaveTrace(target string, seq int, steps []TraceInput, dropped int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := checkTarget(target); err != nil {
		return err
	}
	if s.opts.HistoryFrames < 0 || seq <= 0 {
		return nil
	}
	hdir := filepath.Join(s.TargetDir(target), historyDir)
	frames, err := listFrames(hdir, s.key)
	if err != nil {
		return err
	}
	i := frameIndex(frames, seq)
	if i < 0 {
		return fmt.Errorf("session: %s: no history frame %d to keep a trace with", target, seq)
	}
	f := frames[i]
	gen := 1
	if f.Trace != nil {
		if _, g, ok := strings.Cut(f.Trace.Dir, ".trace-"); ok {
			fmt.Sscan(g, &gen)
			gen++
		}
	}
	tr := &Trace{Dir: traceDirName(seq, gen), Dropped: dropped}
	dir := filepath.Join(hdir, tr.Dir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("session: trace: %w", err)
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("session: trace: %w", err)
	}
	if tr.Steps, err = storeSteps(dir, steps, s.opts.Level); err != nil {
		os.RemoveAll(dir)
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	old := f.Trace
	f.Trace = tr
	if err := writeFrame(hdir, f, s.key); err != nil {
		os.RemoveAll(dir)
		return err
	}
	if old != nil && old.Dir != "" && old.Dir != tr.Dir && localName(old.Dir) {
		os.RemoveAll(filepath.Join(hdir, old.Dir))
	}
	frames[i] = f
	return pruneFrames(hdir, frames, s.opts.HistoryFrames, s.opts.HistoryBytes)
}

// storeSteps compresses the steps' layouts into dir, on every core. The
// files are not synced one by one (a trace of a hundred steps would wait
// for a hundred syncs): a crash may leave a step damaged, which its
// checksum tells when it is read; the frame's record, written after, is
// synced.
func storeSteps(dir string, steps []TraceInput, level int) ([]TraceStep, error) {
	out := make([]TraceStep, len(steps))
	errs := make([]error, len(steps))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for n, in := range steps {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[n], errs[n] = storeStep(dir, n, in, level)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// storeStep compresses step n's layout into dir.
func storeStep(dir string, n int, in TraceInput, level int) (TraceStep, error) {
	b, err := os.ReadFile(in.Path)
	if err != nil {
		return TraceStep{}, fmt.Errorf("session: trace step %d: %w", n+1, err)
	}
	if len(b) == 0 {
		return TraceStep{}, fmt.Errorf("session: trace step %d: %s is empty", n+1, in.Path)
	}
	raw := sha256.Sum256(b)
	stored := b
	if !bytes.HasPrefix(b, []byte(gzipMagic)) {
		if stored, err = compress(b, level, gzipChunk); err != nil {
			return TraceStep{}, fmt.Errorf("session: trace step %d: %w", n+1, err)
		}
	}
	name := fmt.Sprintf("%04d.gds.gz", n+1)
	if err := os.WriteFile(filepath.Join(dir, name), stored, filePerm); err != nil {
		return TraceStep{}, fmt.Errorf("session: trace step %d: %w", n+1, err)
	}
	sum := sha256.Sum256(stored)
	lay := Layout{File: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(stored)), Source: hex.EncodeToString(raw[:])}
	return TraceStep{Label: in.Label, Cell: in.Cell, Time: in.Time.UTC(), Layout: lay}, nil
}

// frameIndex returns the index of the frame numbered seq, or -1.
func frameIndex(frames []Frame, seq int) int {
	for i, f := range frames {
		if f.Seq == seq {
			return i
		}
	}
	return -1
}

// FrameLayout returns the layout of one of target's history frames (a
// Frame that History returned) as GDS, its stored file checked against
// the frame's record first.
func (s *Store) FrameLayout(target string, f Frame) ([]byte, error) {
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	if !localName(f.Layout.File) {
		return nil, fmt.Errorf("session: %s: frame %d: layout file %q is not a plain file name", target, f.Seq, f.Layout.File)
	}
	p := filepath.Join(s.TargetDir(target), historyDir, f.Layout.File)
	return readGDS(p, f.Layout, fmt.Sprintf("%s: frame %d", target, f.Seq))
}

// TraceLayout returns step i (from 0) of the trace of one of target's
// history frames as GDS, checked against the frame's record first.
func (s *Store) TraceLayout(target string, f Frame, i int) ([]byte, error) {
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	if f.Trace == nil || i < 0 || i >= len(f.Trace.Steps) {
		return nil, fmt.Errorf("session: %s: frame %d has no trace step %d", target, f.Seq, i+1)
	}
	st := f.Trace.Steps[i]
	if !localName(f.Trace.Dir) || !localName(st.Layout.File) {
		return nil, fmt.Errorf("session: %s: frame %d: trace step %d: bad file name %q", target, f.Seq, i+1, path.Join(f.Trace.Dir, st.Layout.File))
	}
	p := filepath.Join(s.TargetDir(target), historyDir, f.Trace.Dir, st.Layout.File)
	return readGDS(p, st.Layout, fmt.Sprintf("%s: frame %d: trace step %d", target, f.Seq, i+1))
}

// readGDS reads a stored layout, checks it against l and returns it
// uncompressed.
func readGDS(p string, l Layout, what string) ([]byte, error) {
	b, err := readStoredLayout([]string{p}, l)
	if err != nil {
		return nil, fmt.Errorf("session: %s: %w", what, err)
	}
	if bytes.HasPrefix(b, []byte(gzipMagic)) {
		if b, err = decompress(b); err != nil {
			return nil, fmt.Errorf("session: %s: %s: gzip: %w", what, p, err)
		}
	}
	return b, nil
}
