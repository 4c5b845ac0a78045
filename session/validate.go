package session

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
)

// ChangeKind says how a tracked file changed since the manifest was written.
type ChangeKind string

// The kinds of change Validate reports.
const (
	Modified ChangeKind = "modified"
	Deleted  ChangeKind = "deleted"
)

// FileChange is one tracked file whose content differs from the manifest.
type FileChange struct {
	// Path is root-relative and slash-separated; Abs is the absolute path.
	Path string     `json:"path"`
	Abs  string     `json:"abs"`
	Kind ChangeKind `json:"kind"`
	// OldSHA256 is the manifest's hash, NewSHA256 the current one ("" when
	// deleted).
	OldSHA256 string `json:"old_sha256"`
	NewSHA256 string `json:"new_sha256,omitempty"`
}

// Validation is the result of checking a manifest's files against the disk.
type Validation struct {
	// Changed lists the files whose content changed or that are gone,
	// sorted by Path. Empty means the session is valid as far as the
	// tracked files go.
	Changed []FileChange
	// Files is the manifest's file list with the stat cache refreshed and
	// the new hashes of changed files (deleted ones dropped), ready for the
	// next Save.
	Files []File
	// Untracked is set when the manifest tracks no files at all, so nothing
	// says whether its layout is fresh: such a session is never Valid.
	Untracked bool
	// Stated is the number of files stat'ed, Rehashed the number read
	// because their stat data changed, their entry was uncached, or their
	// modification time was not older than the manifest (git's racy rule).
	Stated, Rehashed int
}

// Valid reports whether no tracked file changed (and some are tracked): the
// stored layout may be shown without a build.
func (v *Validation) Valid() bool { return len(v.Changed) == 0 && !v.Untracked }

// ChangedPaths returns the absolute paths of the changed files, the form the
// dependency graph's Update takes.
func (v *Validation) ChangedPaths() []string {
	out := make([]string, len(v.Changed))
	for i, c := range v.Changed {
		out[i] = c.Abs
	}
	return out
}

// ChangedRel returns the root-relative paths of the changed files.
func (v *Validation) ChangedRel() []string {
	out := make([]string, len(v.Changed))
	for i, c := range v.Changed {
		out[i] = c.Path
	}
	return out
}

// Validate stats every file m tracks under root and rehashes only those
// whose stat data (size, modification time in ns, inode) differs from the
// stat cache, whose entry is uncached, or whose modification time is not
// older than m.Written (git's rule for racily clean files). It returns which
// files really changed. It reads nothing when nothing changed, and never
// modifies m. Errors other than a vanished file (reported as Deleted) stop it.
func Validate(ctx context.Context, root string, m *Manifest) (*Validation, error) {
	written := m.Written.UnixNano()
	files := make([]File, len(m.Files))
	kinds := make([]ChangeKind, len(m.Files))
	rehashed := make([]bool, len(m.Files))
	err := forEach(ctx, len(m.Files), func(i int, buf []byte) error {
		old := &m.Files[i]
		files[i] = *old
		p := filepath.Join(root, filepath.FromSlash(old.Path))
		st, err := statPath(p)
		if errors.Is(err, fs.ErrNotExist) {
			kinds[i] = Deleted
			return nil
		}
		if err != nil {
			return err
		}
		if st.matches(old) && st.mtimeNS < written {
			return nil
		}
		rehashed[i] = true
		f, err := hashFile(root, old.Path, buf)
		if errors.Is(err, fs.ErrNotExist) {
			kinds[i] = Deleted
			return nil
		}
		if err != nil {
			return err
		}
		files[i] = f
		if f.SHA256 != old.SHA256 {
			kinds[i] = Modified
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := &Validation{Stated: len(m.Files), Files: make([]File, 0, len(files)), Untracked: len(m.Files) == 0}
	for i, f := range files {
		if rehashed[i] {
			v.Rehashed++
		}
		if kinds[i] == "" {
			v.Files = append(v.Files, f)
			continue
		}
		c := FileChange{Path: f.Path, Abs: filepath.Join(root, filepath.FromSlash(f.Path)), Kind: kinds[i], OldSHA256: m.Files[i].SHA256}
		if kinds[i] == Modified {
			c.NewSHA256 = f.SHA256
			v.Files = append(v.Files, f)
		}
		v.Changed = append(v.Changed, c)
	}
	sort.Slice(v.Changed, func(i, j int) bool { return v.Changed[i].Path < v.Changed[j].Path })
	return v, nil
}
