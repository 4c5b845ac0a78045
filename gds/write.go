package gds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// maxXYPoints is the most points one XY record holds (its length must fit
// 16 bits); longer point lists are split over consecutive XY records.
const maxXYPoints = (maxRecordLen - headerLen) / 8

// ErrHashOnly is returned when writing a library read with
// ReadOptions.HashOnly, which has no shapes left to write.
var ErrHashOnly = errors.New("gds: library was read with HashOnly and holds no shapes")

// WriteOptions tune writing.
type WriteOptions struct {
	// GzipLevel is the compression level for .gz output (klauspost/compress
	// levels, 1 fastest to 9 smallest); 0 means 1.
	GzipLevel int
}

// WriteFile writes lib to path, gzip-compressed when path ends in ".gz". It
// writes a temporary file beside path and renames it into place, so readers
// never see a half-written file. The file's mode is 0666 less the process's
// umask, as for any program's output.
func WriteFile(path string, lib *Library) error {
	return WriteFileOptions(path, lib, WriteOptions{})
}

// WriteFileOptions is WriteFile with options.
func WriteFileOptions(path string, lib *Library, opts WriteOptions) error {
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if strings.HasSuffix(path, ".gz") {
		err = writeGzip(tmp, lib, opts.GzipLevel)
	} else {
		err = Write(tmp, lib)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// createTemp creates a new file dir/prefix<random>.tmp with mode 0666, which
// the kernel reduces by the umask (os.CreateTemp's 0600 does not follow it).
func createTemp(dir, prefix string) (*os.File, error) {
	for range 1000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*.tmp"), Err: fs.ErrExist}
}

func writeGzip(w io.Writer, lib *Library, level int) error {
	if level == 0 {
		level = 1
	}
	zw, err := newParallelGzip(w, level, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	if err := Write(zw, lib); err != nil {
		zw.Close() // ends its goroutines
		return err
	}
	return zw.Close()
}

// Write writes lib as a GDSII stream to w.
func Write(w io.Writer, lib *Library) error {
	rw := &recWriter{w: w, buf: make([]byte, 0, writeBufSize+maxRecordLen)}
	rw.library(lib)
	rw.flush()
	return rw.err
}

// writeBufSize is how much the record writer gathers before writing.
const writeBufSize = 1 << 20

// recWriter appends records to its buffer and writes it out in large
// pieces, remembering the first error.
type recWriter struct {
	w     io.Writer
	buf   []byte
	start int // of the record being built
	err   error
}

func (w *recWriter) begin(t RecordType) {
	w.start = len(w.buf)
	w.buf = append(w.buf, 0, 0, byte(t), byte(t.DataType()))
}

func (w *recWriter) end() {
	if w.err != nil {
		w.buf = w.buf[:0]
		return
	}
	rec := w.buf[w.start:]
	if len(rec) > maxRecordLen {
		w.err = fmt.Errorf("gds: record %s too long (%d bytes)", RecordType(rec[2]), len(rec))
		return
	}
	binary.BigEndian.PutUint16(rec, uint16(len(rec)))
	if len(w.buf) >= writeBufSize {
		w.flush()
	}
}

func (w *recWriter) flush() {
	if w.err == nil && len(w.buf) > 0 {
		_, w.err = w.w.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

func (w *recWriter) empty(t RecordType) { w.begin(t); w.end() }

func (w *recWriter) int16s(t RecordType, vs ...int16) {
	w.begin(t)
	for _, v := range vs {
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(v))
	}
	w.end()
}

func (w *recWriter) int32s(t RecordType, vs ...int32) {
	w.begin(t)
	for _, v := range vs {
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(v))
	}
	w.end()
}

func (w *recWriter) real8s(t RecordType, vs ...float64) {
	w.begin(t)
	for _, v := range vs {
		w.buf = appendReal8(w.buf, v)
	}
	w.end()
}

func (w *recWriter) str(t RecordType, s string) {
	w.begin(t)
	w.buf = append(w.buf, s...)
	if len(s)%2 == 1 {
		w.buf = append(w.buf, 0)
	}
	w.end()
}

func (w *recWriter) raw(t RecordType, data []byte) {
	w.begin(t)
	w.buf = append(w.buf, data...)
	w.end()
}

func (w *recWriter) xy(pts []Point) {
	for len(pts) > 0 {
		n := min(len(pts), maxXYPoints)
		w.begin(recXY)
		for _, p := range pts[:n] {
			w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(p.X))
			w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(p.Y))
		}
		w.end()
		pts = pts[n:]
	}
}

func (w *recWriter) library(lib *Library) {
	for _, c := range lib.Cells {
		if c.summary != nil {
			w.err = ErrHashOnly
			return
		}
	}
	v := lib.Version
	if v == 0 {
		v = 600
	}
	w.int16s(recHEADER, v)
	w.int16s(recBGNLIB, lib.Times[:]...)
	pre := map[RecordType]bool{recLIBDIRSIZE: true, recSRFNAME: true, recLIBSECUR: true}
	for _, r := range lib.Extra {
		if pre[r.Type] {
			w.raw(r.Type, r.Data)
		}
	}
	name := lib.Name
	if name == "" {
		name = "LIB"
	}
	w.str(recLIBNAME, name)
	for _, r := range lib.Extra {
		if !pre[r.Type] {
			w.raw(r.Type, r.Data)
		}
	}
	w.real8s(recUNITS, lib.UserUnit, lib.DBU)
	if lib.Context != nil {
		w.cell(lib.contextForWrite())
	}
	for _, c := range lib.Cells {
		if !c.emptyGhost() { // as KLayout, which writes no ghost cell
			w.cell(c)
		}
	}
	w.empty(recENDLIB)
}

// contextForWrite returns the context cell without references to cells that
// are not in the library (after Subset, say).
func (lib *Library) contextForWrite() *Cell {
	ctx := *lib.Context
	ctx.Refs = nil
	cells := lib.byName()
	for _, r := range lib.Context.Refs {
		if cells[r.Name] != nil {
			ctx.Refs = append(ctx.Refs, r)
		}
	}
	return &ctx
}

func (w *recWriter) cell(c *Cell) {
	w.int16s(recBGNSTR, c.Times[:]...)
	w.str(recSTRNAME, c.Name)
	for i := range c.Shapes {
		w.shape(&c.Shapes[i])
	}
	for i := range c.Refs {
		w.ref(&c.Refs[i])
	}
	w.empty(recENDSTR)
}

func (w *recWriter) flagsPlex(a *Attrs) {
	if a.HasElFlags {
		w.int16s(recELFLAGS, int16(a.ElFlags))
	}
	if a.HasPlex {
		w.int32s(recPLEX, a.Plex)
	}
}

func (w *recWriter) strans(s Strans) {
	if !s.present() {
		return
	}
	w.int16s(recSTRANS, int16(s.Flags))
	if s.HasMag {
		w.real8s(recMAG, s.Mag)
	}
	if s.HasAngle {
		w.real8s(recANGLE, s.Angle)
	}
}

func (w *recWriter) props(ps []Property) {
	for _, p := range ps {
		w.int16s(recPROPATTR, p.Attr)
		w.str(recPROPVALUE, p.Value)
	}
}

func (w *recWriter) shape(s *Shape) {
	var a Attrs
	if s.Attrs != nil {
		a = *s.Attrs
	}
	w.empty(s.Kind.record())
	w.flagsPlex(&a)
	w.int16s(recLAYER, s.Layer)
	w.int16s(s.Kind.typeRecord(), s.Type)
	switch s.Kind {
	case Path:
		if a.HasPathType {
			w.int16s(recPATHTYPE, a.PathType)
		}
		if a.HasWidth {
			w.int32s(recWIDTH, a.Width)
		}
		if a.HasBgnExtn {
			w.int32s(recBGNEXTN, a.BgnExtn)
		}
		if a.HasEndExtn {
			w.int32s(recENDEXTN, a.EndExtn)
		}
	case Text:
		if a.HasPresentation {
			w.int16s(recPRESENTATION, int16(a.Presentation))
		}
		if a.HasPathType {
			w.int16s(recPATHTYPE, a.PathType)
		}
		if a.HasWidth {
			w.int32s(recWIDTH, a.Width)
		}
		w.strans(a.Strans)
	}
	w.xy(s.XY)
	if s.Kind == Text {
		w.str(recSTRING, a.String)
	}
	w.props(s.Props)
	w.empty(recENDEL)
}

func (w *recWriter) ref(r *Ref) {
	if r.IsArray() {
		w.empty(recAREF)
	} else {
		w.empty(recSREF)
	}
	w.flagsPlex(&Attrs{ElFlags: r.ElFlags, HasElFlags: r.HasElFlags, Plex: r.Plex, HasPlex: r.HasPlex})
	w.str(recSNAME, r.Name)
	w.strans(r.Strans)
	if r.IsArray() {
		w.int16s(recCOLROW, r.Cols, r.Rows)
		w.xy([]Point{r.Origin, r.ColEnd, r.RowEnd})
	} else {
		w.xy([]Point{r.Origin})
	}
	w.props(r.Props)
	w.empty(recENDEL)
}
