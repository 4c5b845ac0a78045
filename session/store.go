package session

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/lywatch/lywatch/internal/version"
)

// Names of the files in a session directory.
const (
	targetsDir   = "targets"
	depsName     = "dependencies.json"
	manifestName = "manifest.json"
	cellsName    = "cells.gds.gz"
	// nextSuffix marks a layout written but not yet put in place: the
	// manifest is the commit point, and Load finishes the rename if a
	// crash came between the two.
	nextSuffix = ".next"
)

// Defaults for Options.
const (
	DefaultHistoryFrames       = 50
	DefaultHistoryBytes  int64 = 256 << 20
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Root is the project root that manifest paths are relative to;
	// "" means FindRoot of the current directory.
	Root string
	// HistoryFrames bounds each target's history (0: DefaultHistoryFrames;
	// negative: keep no history).
	HistoryFrames int
	// HistoryBytes bounds the size of each target's history (0:
	// DefaultHistoryBytes; negative: no size bound).
	HistoryBytes int64
	// Level is the gzip level for layouts that are not compressed yet
	// (0: gzip.BestSpeed).
	Level int
	// Args are written into the lock file so a refused second lywatch can
	// show what holds the session (usually os.Args).
	Args []string
	// Now returns the current time (nil: time.Now); tests pass their own.
	Now func() time.Time
	// LockDir is the folder of this user's session locks, outside every
	// session folder so that deleting one while lywatch runs keeps its
	// lock ("": lywatch/locks in os.UserCacheDir, made 0700).
	LockDir string
	// KeyFile holds this user's secret key, which marks the sessions they
	// write as theirs ("": lywatch/session.key in os.UserConfigDir, made
	// 0600 in a 0700 folder by the first Open). A session without this
	// user's mark is foreign and never served.
	KeyFile string
}

// Store is an open session directory. It holds the directory's lock until
// Close. Its methods are safe for concurrent use.
type Store struct {
	dir, root string
	opts      Options
	lock      *lock
	key       []byte // the user's key; nil for a read-only store of a user who has none
	readOnly  bool
	closed    bool

	mu   sync.Mutex
	last map[string]*Manifest // the last manifest loaded or saved per target
}

// Open opens (creating it if needed) the session directory dir, takes its
// lock, and keeps its build folder out of git. If another lywatch holds the
// lock it returns a *LockedError naming the holder (errors.Is(err,
// ErrLocked)). The lock is kept in the user's lock folder (Options.LockDir)
// as well as in dir, so deleting dir while the Store is open does not let a
// second lywatch in; a write after such a deletion makes dir again and
// takes its lock there again, or fails with the *LockedError of a lywatch
// that took it meanwhile. Close releases the lock.
func Open(dir string, opts Options) (*Store, error) {
	s, err := newStore(dir, opts)
	if err != nil {
		return nil, err
	}
	if s.key, err = loadKey(s.opts.KeyFile, true); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, dirPerm); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if err := ensureIgnored(s.dir); err != nil {
		return nil, err
	}
	if s.opts.LockDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("session: no folder for this user's locks (set HOME or XDG_CACHE_HOME): %w", err)
		}
		s.opts.LockDir = filepath.Join(cache, "lywatch", "locks")
	}
	if s.lock, err = acquireLock(s.dir, s.opts.LockDir, s.opts.Args); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens a session directory for reading only, without taking
// its lock, so `lywatch session show` works while a lywatch runs. Writes
// are refused; since every write is atomic, reads see whole files.
func OpenReadOnly(dir string, opts Options) (*Store, error) {
	s, err := newStore(dir, opts)
	if err != nil {
		return nil, err
	}
	if s.key, err = loadKey(s.opts.KeyFile, false); err != nil {
		return nil, err
	}
	s.readOnly = true
	return s, nil
}

// newStore resolves the paths and defaults of a Store.
func newStore(dir string, opts Options) (*Store, error) {
	if opts.Root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
		opts.Root = FindRoot(wd)
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("session: root: %w", err)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if opts.HistoryFrames == 0 {
		opts.HistoryFrames = DefaultHistoryFrames
	}
	switch {
	case opts.HistoryBytes == 0:
		opts.HistoryBytes = DefaultHistoryBytes
	case opts.HistoryBytes < 0:
		opts.HistoryBytes = math.MaxInt64
	}
	if opts.Level == 0 {
		opts.Level = gzip.BestSpeed
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KeyFile == "" {
		if opts.KeyFile, err = defaultKeyFile(); err != nil {
			return nil, err
		}
	}
	return &Store{dir: dir, root: root, opts: opts, last: map[string]*Manifest{}}, nil
}

// ensureIgnored writes build/.gitignore for a session directory inside a
// folder named build (the default layout), else a .gitignore in the session
// directory itself.
func ensureIgnored(dir string) error {
	if filepath.Base(filepath.Dir(dir)) == "build" {
		return EnsureGitignore(filepath.Dir(dir))
	}
	return EnsureGitignore(dir)
}

// Close releases the lock. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.lock.release()
	s.lock, s.closed = nil, true
	return err
}

// Dir returns the session directory (absolute).
func (s *Store) Dir() string { return s.dir }

// Root returns the project root (absolute).
func (s *Store) Root() string { return s.root }

// TargetDir returns the directory holding a target's files.
func (s *Store) TargetDir(target string) string {
	return filepath.Join(s.dir, targetsDir, escapeTarget(target))
}

// LayoutPath returns the path of a target's stored layout (cells.gds.gz).
// It holds the layout of the manifest Load returned, if it returned one.
func (s *Store) LayoutPath(target string) string {
	return filepath.Join(s.TargetDir(target), cellsName)
}

// errClosed is returned by methods of a closed Store.
var errClosed = errors.New("session: store is closed")

// ErrReadOnly is returned by writes to a Store opened with OpenReadOnly.
var ErrReadOnly = errors.New("session: opened read-only")

// writable reports why s cannot be written, if it cannot: closed, read
// only, or its lock lost to another lywatch after the session folder was
// deleted. Call it with s.mu held.
func (s *Store) writable() error {
	if s.closed {
		return errClosed
	}
	if s.readOnly {
		return ErrReadOnly
	}
	return s.lock.check()
}

// Load returns a target's manifest. It returns (nil, nil) when nothing was
// saved for the target, and (nil, *Warning) when something was saved but is
// unusable — corrupt, truncated, bit-flipped, of an unknown version, written
// for another root, or its layout does not match — so the caller prints the
// warning once and starts from scratch. A manifest returned is consistent
// with the file at LayoutPath(target), checked by its size and SHA-256,
// except in a read-only store after a save was interrupted between its
// commit and its rename (LoadAll reports that; LayoutBytes finds the
// layout all the same). Load does not look at the tracked files; see
// Validate.
func (s *Store) Load(target string) (*Manifest, error) {
	m, _, err := s.loadLocked(target)
	return m, err
}

// loadLocked is Load, also saying whether the manifest's layout is still
// at cells.gds.gz.next (see loadOnce).
func (s *Store) loadLocked(target string) (*Manifest, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, errClosed
	}
	m, next, err := s.load(target)
	if m != nil {
		s.last[target] = m.Clone()
	}
	return m, next, err
}

func (s *Store) load(target string) (*Manifest, bool, error) {
	if err := checkTarget(target); err != nil {
		return nil, false, err
	}
	m, next, err := s.loadOnce(target)
	// A reader without the lock can see a manifest and a layout from two
	// saves when a save completes between its two reads: look again.
	for try := 0; try < 3 && s.readOnly && errors.Is(err, errLayoutMismatch); try++ {
		m, next, err = s.loadOnce(target)
	}
	return m, next, err
}

// errLayoutMismatch is wrapped by the warning for a layout that does not
// match its manifest.
var errLayoutMismatch = errors.New("does not match its manifest")

// loadOnce reads and checks a target's manifest and checks its layout
// (size, then SHA-256). next reports a manifest whose layout is not in
// place but still at cells.gds.gz.next, as a crash between a save's commit
// and its rename leaves it: a store with the lock finishes the rename, a
// read-only one leaves it to the lywatch holding the lock.
func (s *Store) loadOnce(target string) (m *Manifest, next bool, err error) {
	tdir := s.TargetDir(target)
	mpath := filepath.Join(tdir, manifestName)
	b, err := readOwned(mpath)
	if isNotExist(err) {
		return nil, false, nil
	}
	warn := func(err error) (*Manifest, bool, error) { return nil, false, &Warning{Path: s.rel(mpath), Err: err} }
	if err != nil {
		return warn(err)
	}
	m, mark, err := decodeManifest(b)
	if err != nil {
		return warn(err)
	}
	if err := mark.verify(s.key); err != nil {
		return warn(err)
	}
	if m.Target != target {
		return warn(fmt.Errorf("manifest is for target %q, not %q", m.Target, target))
	}
	if !s.sameRoot(m.Root) {
		return warn(fmt.Errorf("%w: written for root %s relative to the session, which is not %s", ErrForeign, m.Root, s.root))
	}
	if m.Layout.File != cellsName {
		return warn(fmt.Errorf("layout file %q, want %q", m.Layout.File, cellsName))
	}
	cells := filepath.Join(tdir, cellsName)
	if err := checkLayout(cells, m.Layout); err != nil {
		// A crash may have come after the manifest was committed and before
		// the new layout was renamed into place: finish that rename.
		if checkLayout(cells+nextSuffix, m.Layout) != nil {
			if s.readOnly && s.inHistory(target, m.Layout) {
				return m, true, nil // a save is under way: LayoutBytes finds it there
			}
			return nil, false, &Warning{Path: s.rel(cells), Err: fmt.Errorf("%w: %w", errLayoutMismatch, err)}
		}
		if s.readOnly {
			return m, true, nil // the lywatch holding the lock finishes it
		}
		if err := os.Rename(cells+nextSuffix, cells); err != nil {
			return nil, false, &Warning{Path: s.rel(cells), Err: err}
		}
		if err := syncDir(tdir); err != nil {
			return nil, false, &Warning{Path: s.rel(cells), Err: err}
		}
	}
	return m, false, nil
}

// inHistory reports whether target's history holds the layout l, checked
// by its size and SHA-256.
func (s *Store) inHistory(target string, l Layout) bool {
	paths := s.layoutCandidates(target, l)[2:]
	return len(paths) > 0 && checkLayout(paths[0], l) == nil
}

// sameRoot reports whether a manifest's root, relative to the session
// directory, is the store's root.
func (s *Store) sameRoot(rel string) bool {
	a, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(rel)))
	if err != nil {
		return false
	}
	b, err := os.Stat(s.root)
	return err == nil && os.SameFile(a, b)
}

// rel names a path inside the session for messages: relative to the root
// when it is inside it.
func (s *Store) rel(p string) string {
	if r, err := filepath.Rel(s.root, p); err == nil && filepath.IsLocal(r) {
		return r
	}
	return p
}

// Save is SaveLayout with the layout read from the file at layoutPath (a
// .gds or .gds.gz), read once: the bytes hashed are the bytes stored.
func (s *Store) Save(target string, m *Manifest, layoutPath string) error {
	layout, err := os.ReadFile(layoutPath)
	if err != nil {
		return fmt.Errorf("session: layout: %w", err)
	}
	if len(layout) == 0 {
		return fmt.Errorf("session: layout %s is empty", layoutPath)
	}
	return s.SaveLayout(target, m, layout)
}

// SaveLayout records a successful build of target: it stores layout (the
// bytes of a .gds or .gds.gz, exactly as the build wrote them and as they
// were read to be hashed and shown) as the target's cells.gds.gz, writes m
// as its manifest with layout's SHA-256 as m.Layout.Source, and adds a
// history frame with the cells that changed since the previous save. A
// layout that is not gzip yet is compressed on every core. SaveLayout fills
// m's Version, Written, Target, Root and Layout and sorts its Files and
// Cells; it does not keep layout. Every file is written atomically and the
// manifest is the commit point, so a crash at any moment leaves the old
// session or the new one. A failed build must not call it.
func (s *Store) SaveLayout(target string, m *Manifest, layout []byte) error {
	_, err := s.SaveBuild(target, m, layout, FrameNote{})
	return err
}

// SaveBuild is SaveLayout that also records note in the history frame and
// says which frame holds the layout: a new one, or the last one when the
// layout's cells are those of the last frame (an identical rebuild adds
// no frame).
func (s *Store) SaveBuild(target string, m *Manifest, layout []byte, note FrameNote) (Saved, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return Saved{}, err
	}
	if err := checkTarget(target); err != nil {
		return Saved{}, err
	}
	rootRel, err := filepath.Rel(s.dir, s.root)
	if err != nil {
		return Saved{}, fmt.Errorf("session: root %s from %s: %w", s.root, s.dir, err)
	}
	prev := s.last[target]
	if prev == nil {
		prev, _, _ = s.load(target)
	}
	m.Version = version.Version
	m.Written = s.opts.Now().UTC()
	m.Target = target
	m.Root = filepath.ToSlash(rootRel)
	m.normalize()
	if err := m.check(); err != nil {
		return Saved{}, fmt.Errorf("session: save %s: %w", target, err)
	}
	tdir := s.TargetDir(target)
	if err := os.MkdirAll(tdir, dirPerm); err != nil {
		return Saved{}, fmt.Errorf("session: %w", err)
	}
	removeTemps(tdir)
	cells := filepath.Join(tdir, cellsName)
	lay, err := storeLayout(cells+nextSuffix, layout, s.opts.Level)
	if err != nil {
		return Saved{}, err
	}
	lay.File = cellsName
	m.Layout = lay
	if m.GraphFile, err = storeGraph(tdir, m.Graph); err != nil {
		return Saved{}, err
	}
	b, err := encodeManifest(m, s.key)
	if err != nil {
		return Saved{}, err
	}
	if err := WriteFileAtomic(filepath.Join(tdir, manifestName), b, filePerm); err != nil {
		return Saved{}, err
	}
	if err := os.Rename(cells+nextSuffix, cells); err != nil {
		return Saved{}, fmt.Errorf("session: %w", err)
	}
	if err := syncDir(tdir); err != nil {
		return Saved{}, err
	}
	dropGraphs(tdir, m.GraphFile.File)
	s.last[target] = m.Clone()
	if s.opts.HistoryFrames < 0 {
		return Saved{}, nil
	}
	return addFrame(filepath.Join(tdir, historyDir), cells, lay, newFrame(prev, m, note), s.opts.HistoryFrames, s.opts.HistoryBytes, s.key)
}

// changedCells compares two manifests' cells by deep hash.
func changedCells(prev, cur *Manifest) (changed, removed []string) {
	old := map[string]string{}
	if prev != nil {
		for _, c := range prev.Cells {
			old[c.Name] = c.Deep
		}
	}
	now := make(map[string]string, len(cur.Cells))
	for _, c := range cur.Cells {
		now[c.Name] = c.Deep
	}
	return diffHashes(old, now)
}

// History returns a target's history frames, oldest first, within the
// store's bounds, and the folder holding their files. Damaged frames, and
// old frames a crash kept from being pruned, are left out.
func (s *Store) History(target string) ([]Frame, string, error) {
	if err := checkTarget(target); err != nil {
		return nil, "", err
	}
	hdir := filepath.Join(s.TargetDir(target), historyDir)
	frames, err := listFrames(hdir, s.key)
	if s.opts.HistoryFrames < 0 {
		return nil, hdir, err
	}
	return boundFrames(frames, s.opts.HistoryFrames, s.opts.HistoryBytes), hdir, err
}

// Targets returns the names of the targets with a directory in the session,
// sorted.
func (s *Store) Targets() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, targetsDir))
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if t, ok := unescapeTarget(e.Name()); ok {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Clear removes the given targets from the session, or every target and the
// dependencies file when none are given. The lock stays held.
func (s *Store) Clear(targets ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if len(targets) == 0 {
		s.last = map[string]*Manifest{}
		if err := os.Remove(filepath.Join(s.dir, depsName)); err != nil && !isNotExist(err) {
			return fmt.Errorf("session: clear: %w", err)
		}
		if err := os.RemoveAll(filepath.Join(s.dir, targetsDir)); err != nil {
			return fmt.Errorf("session: clear: %w", err)
		}
		return syncDir(s.dir)
	}
	for _, t := range targets {
		if err := checkTarget(t); err != nil {
			return err
		}
		delete(s.last, t)
		if err := os.RemoveAll(s.TargetDir(t)); err != nil {
			return fmt.Errorf("session: clear %s: %w", t, err)
		}
	}
	return nil
}

// DefaultTarget is the target name for a project with a single build
// command and no named targets.
const DefaultTarget = "default"
