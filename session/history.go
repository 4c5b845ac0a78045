package session

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// frameFormat names a history frame's sealed format.
const frameFormat = "lywatch-session-frame"

// historyDir is the history folder inside a target's directory.
const historyDir = "history"

// Frame is one entry of a target's history: the layout after one
// successful build, when it was saved, which cells it changed and what
// the build was for.
type Frame struct {
	// Seq numbers the target's frames from 1, increasing.
	Seq  int       `json:"seq"`
	Time time.Time `json:"time"`
	// Changed are the cells that are new or whose deep hash changed since
	// the previous save, Removed those that are gone; sorted.
	Changed []string `json:"changed,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// Trigger are the tracked source files (root-relative, sorted) whose
	// content differs from the previous save's, new and deleted ones
	// included: what the build was for. Empty for the first save.
	Trigger []string `json:"trigger,omitempty"`
	// Commit is the git commit of the sources, recorded when the checkout
	// had no uncommitted change to them ("" otherwise).
	Commit string `json:"commit,omitempty"`
	// Cells is the SHA-256 of the layout's cell names and deep hashes:
	// two frames with equal Cells show the same layout.
	Cells string `json:"cells_sha256,omitempty"`
	// Factories names the factory of each Changed cell that has a known
	// one: with those of the frames before, what a replay needs to follow
	// a renamed cell as the live push does.
	Factories map[string]string `json:"factories,omitempty"`
	// Layout is the frame's compressed layout, a file in the history folder.
	Layout Layout `json:"layout"`
	// Trace holds the steps the build traced while it ran, if it did.
	Trace *Trace `json:"trace,omitempty"`
}

// FrameNote is what a save records in its history frame beside what the
// session knows itself.
type FrameNote struct {
	// Commit is the git commit of the sources when the checkout has no
	// uncommitted change to them, else "".
	Commit string
}

// Saved says which history frame holds a saved layout.
type Saved struct {
	// Frame is the frame's Seq (0: the store keeps no history).
	Frame int
	// Added is false when the layout was identical to the last frame's,
	// which then holds it: an identical rebuild adds no frame.
	Added bool
}

// newFrame describes the save of m after prev (nil for the first).
func newFrame(prev, m *Manifest, note FrameNote) Frame {
	changed, removed := changedCells(prev, m)
	return Frame{Time: m.Written, Changed: changed, Removed: removed, Trigger: changedFiles(prev, m),
		Commit: note.Commit, Cells: CellsDigest(m.Cells), Factories: cellFactories(m.Cells, changed)}
}

// cellFactories returns the factories of the named cells that have one.
func cellFactories(cells []Cell, names []string) map[string]string {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	var out map[string]string
	for _, c := range cells {
		if c.Factory != "" && want[c.Name] {
			if out == nil {
				out = map[string]string{}
			}
			out[c.Name] = c.Factory
		}
	}
	return out
}

// changedFiles lists the paths whose hash differs between the two
// manifests' file tables, added and removed ones included, sorted.
func changedFiles(prev, cur *Manifest) []string {
	if prev == nil {
		return nil
	}
	old := make(map[string]string, len(prev.Files))
	for _, f := range prev.Files {
		old[f.Path] = f.SHA256
	}
	now := make(map[string]string, len(cur.Files))
	for _, f := range cur.Files {
		now[f.Path] = f.SHA256
	}
	changed, removed := diffHashes(old, now)
	out := append(changed, removed...)
	sort.Strings(out)
	return out
}

// diffHashes compares two name -> hash maps: the names new or with
// another hash, and those gone; each sorted.
func diffHashes(old, cur map[string]string) (changed, removed []string) {
	for n, h := range cur {
		if o, ok := old[n]; !ok || o != h {
			changed = append(changed, n)
		}
	}
	for n := range old {
		if _, ok := cur[n]; !ok {
			removed = append(removed, n)
		}
	}
	sort.Strings(changed)
	sort.Strings(removed)
	return changed, removed
}

// CellsDigest hashes the cells' names and deep hashes, in name order.
func CellsDigest(cells []Cell) string {
	if len(cells) == 0 {
		return ""
	}
	sorted := append([]Cell(nil), cells...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	h := sha256.New()
	for _, c := range sorted {
		fmt.Fprintf(h, "%s\x00%s\n", c.Name, c.Deep)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// frameFiles returns the names of frame seq's files.
func frameFiles(seq int) (meta, layout string) {
	base := fmt.Sprintf("%08d", seq)
	return base + ".json", base + ".gds.gz"
}

// listFrames returns the history folder's frames, oldest first. Frames
// whose record is damaged or whose layout is missing are skipped (and
// removed by the next prune).
func listFrames(hdir string, key []byte) ([]Frame, error) {
	ents, err := os.ReadDir(hdir)
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: history: %w", err)
	}
	var frames []Frame
	for _, e := range ents {
		seq, ok := frameSeq(e.Name(), ".json")
		if !ok {
			continue
		}
		b, err := readOwned(filepath.Join(hdir, e.Name()))
		if err != nil {
			continue
		}
		var f Frame
		mark, err := unseal(frameFormat, b, &f)
		if err != nil || mark.verify(key) != nil || f.Seq != seq || !localName(f.Layout.File) {
			continue
		}
		if fi, err := os.Stat(filepath.Join(hdir, f.Layout.File)); err != nil || fi.Size() != f.Layout.Size {
			continue
		}
		frames = append(frames, f)
	}
	sort.Slice(frames, func(i, j int) bool { return frames[i].Seq < frames[j].Seq })
	return frames, nil
}

// frameSeq parses "00000042<suffix>".
func frameSeq(name, suffix string) (int, bool) {
	s, ok := strings.CutSuffix(name, suffix)
	if !ok || len(s) != 8 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// addFrame records the layout at cellsPath as the target's next frame,
// marked with key, and prunes the history to its bounds (removing the
// files of frames not marked with key).
// A layout whose cells are those of the last frame adds no frame: the
// last one holds it.
func addFrame(hdir, cellsPath string, layout Layout, f Frame, maxFrames int, maxBytes int64, key []byte) (Saved, error) {
	if err := os.MkdirAll(hdir, dirPerm); err != nil {
		return Saved{}, fmt.Errorf("session: history: %w", err)
	}
	frames, err := listFrames(hdir, key)
	if err != nil {
		return Saved{}, err
	}
	f.Seq = 1
	if len(frames) > 0 {
		last := frames[len(frames)-1]
		if f.Cells != "" && last.Cells == f.Cells {
			return Saved{Frame: last.Seq}, nil
		}
		f.Seq = last.Seq + 1
	}
	_, lay := frameFiles(f.Seq)
	f.Layout = Layout{File: lay, SHA256: layout.SHA256, Size: layout.Size}
	if err := linkOrCopy(cellsPath, filepath.Join(hdir, lay)); err != nil {
		return Saved{}, err
	}
	if err := writeFrame(hdir, f, key); err != nil {
		return Saved{}, err
	}
	return Saved{Frame: f.Seq, Added: true}, pruneFrames(hdir, append(frames, f), maxFrames, maxBytes)
}

// writeFrame writes a frame's sealed record, atomically.
func writeFrame(hdir string, f Frame, key []byte) error {
	meta, _ := frameFiles(f.Seq)
	b, err := seal(frameFormat, f, key)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(hdir, meta), b, filePerm)
}

// pruneFrames drops the oldest frames until at most maxFrames remain and
// their files take at most maxBytes, and removes files of no frame.
func pruneFrames(hdir string, frames []Frame, maxFrames int, maxBytes int64) error {
	frames = boundFrames(frames, maxFrames, maxBytes)
	keep := map[string]bool{}
	for _, f := range frames {
		meta, _ := frameFiles(f.Seq)
		keep[meta] = true
		keep[f.Layout.File] = true
		if f.Trace != nil && f.Trace.Dir != "" {
			keep[f.Trace.Dir] = true
		}
	}
	ents, err := os.ReadDir(hdir)
	if err != nil {
		return fmt.Errorf("session: history: %w", err)
	}
	// Records go before layouts, so a crash mid-way leaves no record
	// without its layout.
	removed := false
	for _, suffix := range []string{".json", ""} {
		for _, e := range ents {
			if n := e.Name(); !keep[n] && strings.HasSuffix(n, suffix) {
				if os.RemoveAll(filepath.Join(hdir, n)) == nil {
					removed = true
				}
			}
		}
	}
	if removed {
		return syncDir(hdir)
	}
	return nil
}

// boundFrames returns the newest frames that fit both bounds.
func boundFrames(frames []Frame, maxFrames int, maxBytes int64) []Frame {
	var total int64
	for _, f := range frames {
		total += frameSize(f)
	}
	for len(frames) > 0 && (len(frames) > maxFrames || total > maxBytes) {
		total -= frameSize(frames[0])
		frames = frames[1:]
	}
	return frames
}

// frameSize is the disk space a frame's files take, its trace's included
// (its record is small and counted as a nominal 1 KiB).
func frameSize(f Frame) int64 {
	n := f.Layout.Size + 1024
	if f.Trace != nil {
		for _, st := range f.Trace.Steps {
			n += st.Layout.Size
		}
	}
	return n
}

// linkOrCopy makes dst hold src's content: a hard link where possible (the
// stored layout is only ever replaced by rename, so the link keeps this
// version), a durable copy otherwise.
func linkOrCopy(src, dst string) error {
	os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return syncDir(filepath.Dir(dst))
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("session: history: %w", err)
	}
	defer in.Close()
	return writeAtomic(dst, filePerm, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
