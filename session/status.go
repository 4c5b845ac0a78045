package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TargetStatus is what `lywatch session show` reports for one target.
type TargetStatus struct {
	Target string `json:"target"`
	// State is "valid" (the stored layout may be shown without a build),
	// "stale" (tracked files changed), "untracked" (no files tracked, so
	// freshness is unknown), "foreign" (not written by this user on this
	// machine, or for another root: never served; see Warning) or
	// "unusable" (damaged; see Warning).
	State   string `json:"state"`
	Warning string `json:"warning,omitempty"`
	// Manifest is nil when State is "unusable" or "foreign".
	Manifest *Manifest `json:"manifest,omitempty"`
	// LayoutPath is the stored layout.
	LayoutPath string `json:"layout_path,omitempty"`
	// Changed are the tracked files that changed (what they reach is the
	// dependency graph's to say: see package pipeline).
	Changed []FileChange `json:"changed,omitempty"`
	// Stated and Rehashed count Validate's work, Elapsed its time.
	Stated   int           `json:"stated"`
	Rehashed int           `json:"rehashed"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	// HistoryFrames is the number of frames in the target's history.
	HistoryFrames int `json:"history_frames"`
}

// Status is the state of a whole session.
type Status struct {
	Dir  string `json:"dir"`
	Root string `json:"root"`
	// Targets are in name order.
	Targets      []TargetStatus `json:"targets"`
	Dependencies Dependencies   `json:"dependencies,omitempty"`
	// Warnings are about the session as a whole (dependencies file, cycles).
	Warnings []string `json:"warnings,omitempty"`
}

// Status loads every target (or only the given ones), validates each
// against the files under the root and says what is stale now.
func (s *Store) Status(ctx context.Context, only ...string) (*Status, error) {
	st := &Status{Dir: s.dir, Root: s.root, Targets: []TargetStatus{}}
	loaded, warnings := s.LoadAll()
	for _, w := range warnings {
		st.Warnings = append(st.Warnings, w.Error())
	}
	st.Dependencies, _ = s.LoadDependencies()
	want := map[string]bool{}
	for _, t := range only {
		want[t] = true
	}
	for _, l := range loaded {
		if len(want) > 0 && !want[l.Target] {
			continue
		}
		ts, err := s.targetStatus(ctx, l)
		if err != nil {
			return nil, err
		}
		st.Targets = append(st.Targets, ts)
	}
	return st, nil
}

func (s *Store) targetStatus(ctx context.Context, l Loaded) (TargetStatus, error) {
	ts := TargetStatus{Target: l.Target, Manifest: l.Manifest}
	if frames, _, err := s.History(l.Target); err == nil {
		ts.HistoryFrames = len(frames)
	}
	if l.Manifest == nil {
		ts.State = "unusable"
		if errors.Is(l.Warning, ErrForeign) {
			ts.State = "foreign"
		}
		if l.Warning != nil {
			ts.Warning = l.Warning.Error()
		}
		return ts, nil
	}
	if l.LayoutPending {
		// Load checked the layout's size and SHA-256: the file at
		// LayoutPath is not the manifest's layout.
		ts.State, ts.Manifest = "unusable", nil
		ts.Warning = fmt.Sprintf("%s does not hold the manifest's layout: a save was interrupted (or is under way) before putting it in place; the next lywatch start finishes it", s.rel(s.LayoutPath(l.Target)))
		return ts, nil
	}
	ts.LayoutPath = s.LayoutPath(l.Target)
	start := time.Now()
	v, err := Validate(ctx, s.root, l.Manifest)
	if err != nil {
		return ts, err
	}
	ts.Elapsed = time.Since(start)
	ts.Stated, ts.Rehashed, ts.Changed = v.Stated, v.Rehashed, v.Changed
	switch {
	case v.Untracked:
		ts.State = "untracked"
	case v.Valid():
		ts.State = "valid"
	default:
		ts.State = "stale"
	}
	return ts, nil
}
