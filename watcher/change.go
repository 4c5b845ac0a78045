package watcher

import (
	"fmt"
	"sort"
)

// Kind is what happened to a path.
type Kind int

// The kinds of change.
const (
	// Created means the path did not exist (or was not tracked) before.
	Created Kind = iota
	// Modified means the content of an existing path changed.
	Modified
	// Deleted means the path no longer exists (or is no longer tracked).
	Deleted
)

// String returns "created", "modified" or "deleted".
func (k Kind) String() string {
	switch k {
	case Created:
		return "created"
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText makes a Kind read as its name in JSON and other text formats.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads the names MarshalText writes, so that a program can
// decode lywatch's events file and --json reports with this type.
func (k *Kind) UnmarshalText(b []byte) error {
	for _, c := range []Kind{Created, Modified, Deleted} {
		if string(b) == c.String() {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("watcher: unknown change kind %q", b)
}

// Change is one confirmed change of one file.
type Change struct {
	// Path is absolute and clean.
	Path string `json:"path"`
	// Kind says whether the file appeared, changed or went away.
	Kind Kind `json:"kind"`
	// OldHash is the hex SHA-256 of the content before, "" if the file did not exist.
	OldHash string `json:"old_hash"`
	// NewHash is the hex SHA-256 of the content now, "" if the file is gone.
	NewHash string `json:"new_hash"`
}

// ChangeSet is what one quiet window produced: changes sorted by path, each
// path at most once.
type ChangeSet struct {
	// Changes lists the changed files, sorted by Path.
	Changes []Change `json:"changes"`
	// Rescan is true when events were lost (an event queue overflow) and the
	// set was computed by a full rescan of the roots. A rescan that finds no
	// change sends no set.
	Rescan bool `json:"rescan,omitempty"`
}

// Paths returns the changed paths in order.
func (cs ChangeSet) Paths() []string {
	out := make([]string, len(cs.Changes))
	for i, c := range cs.Changes {
		out[i] = c.Path
	}
	return out
}

// Empty reports whether the set holds no change.
func (cs ChangeSet) Empty() bool { return len(cs.Changes) == 0 }

// Merge returns the set that has the effect of a followed by b: a path changed
// in both keeps a's old hash and b's new hash, and a path that ends where it
// started (created then deleted, or changed and changed back) drops out.
// When one set is empty the other is returned as it is (sharing its
// Changes), so merging into an empty pending set costs nothing.
func Merge(a, b ChangeSet) ChangeSet {
	switch {
	case a.Empty():
		b.Rescan = b.Rescan || a.Rescan
		return b
	case b.Empty():
		a.Rescan = a.Rescan || b.Rescan
		return a
	}
	byPath := make(map[string]Change, len(a.Changes)+len(b.Changes))
	for _, c := range a.Changes {
		byPath[c.Path] = c
	}
	for _, c := range b.Changes {
		prev, ok := byPath[c.Path]
		if !ok {
			byPath[c.Path] = c
			continue
		}
		merged, keep := combine(prev.OldHash, c.NewHash)
		if !keep {
			delete(byPath, c.Path)
			continue
		}
		merged.Path = c.Path
		byPath[c.Path] = merged
	}
	out := ChangeSet{Rescan: a.Rescan || b.Rescan, Changes: make([]Change, 0, len(byPath))}
	for _, c := range byPath {
		out.Changes = append(out.Changes, c)
	}
	sortChanges(out.Changes)
	return out
}

// combine builds the change from oldHash to newHash; keep is false when
// nothing changed at all.
func combine(oldHash, newHash string) (c Change, keep bool) {
	switch {
	case oldHash == newHash:
		return Change{}, false
	case oldHash == "":
		return Change{Kind: Created, NewHash: newHash}, true
	case newHash == "":
		return Change{Kind: Deleted, OldHash: oldHash}, true
	}
	return Change{Kind: Modified, OldHash: oldHash, NewHash: newHash}, true
}

func sortChanges(cs []Change) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Path < cs[j].Path })
}
