package pipeline

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
)

// Recorded is one target's history opened read-only, for `lywatch
// replay`: the frames, their layouts, and the last good layout to leave
// on screen. It works while a live lywatch holds the session.
type Recorded struct {
	// Target is the session's name of the target.
	Target string
	// Output is the layout file the live loop shows ("" if unknown).
	Output string
	// Frames are the target's frames, oldest first.
	Frames []session.Frame

	st *session.Store
	m  *session.Manifest
}

// OpenRecorded opens the history of target ("" picks the one target the
// session has, or fails naming them).
func OpenRecorded(proj *project.Project, target string) (*Recorded, error) {
	if proj.SessionDir == "" {
		return nil, fmt.Errorf("the project keeps no session (no_session), so no history")
	}
	st, err := session.OpenReadOnly(proj.SessionDir, session.Options{Root: proj.Root})
	if err != nil {
		return nil, err
	}
	key, err := pickTarget(st, proj, target)
	if err != nil {
		st.Close()
		return nil, err
	}
	m, err := st.Load(key)
	if err != nil {
		st.Close()
		return nil, err
	}
	frames, _, err := st.History(key)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Recorded{Target: key, Output: outputOf(proj, key, m), Frames: frames, st: st, m: m}, nil
}

// pickTarget resolves the target to replay.
func pickTarget(st *session.Store, proj *project.Project, target string) (string, error) {
	names, err := st.Targets()
	if err != nil {
		return "", err
	}
	if target != "" {
		key := keyOf(proj, target)
		for _, n := range names {
			if n == key {
				return key, nil
			}
		}
		return "", fmt.Errorf("no history for target %q in %s (targets with one: %s)", target, st.Dir(), listOrNone(names))
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("no history in %s yet: run lywatch and let a build succeed", st.Dir())
	case 1:
		return names[0], nil
	}
	sort.Strings(names)
	return "", fmt.Errorf("the session holds several targets (%s): choose one with --target", strings.Join(names, ", "))
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Close releases the session.
func (r *Recorded) Close() error { return r.st.Close() }

// Frame returns the frame numbered seq.
func (r *Recorded) Frame(seq int) (session.Frame, bool) {
	for _, f := range r.Frames {
		if f.Seq == seq {
			return f, true
		}
	}
	return session.Frame{}, false
}

// Layout returns a frame's layout, as GDS.
func (r *Recorded) Layout(f session.Frame) ([]byte, error) { return r.st.FrameLayout(r.Target, f) }

// Step returns step i (from 0) of a frame's trace, as GDS.
func (r *Recorded) Step(f session.Frame, i int) ([]byte, error) {
	return r.st.TraceLayout(r.Target, f, i)
}

// LastGood returns the session's last good layout of the target: the
// bytes its build wrote, checked against the manifest; nil when there is
// none.
func (r *Recorded) LastGood(ctx context.Context) ([]byte, error) {
	if r.m == nil {
		return nil, nil
	}
	return r.st.LayoutBytes(ctx, r.Target, r.m)
}

// Factories names the factory of every cell the history knows one for:
// the cells each frame changed and those of the last good layout, so
// that a replay follows a renamed cell as the live push does. A cell's
// name says its factory's parameters, so one map serves every frame.
func (r *Recorded) Factories() map[string]string {
	out := map[string]string{}
	for _, f := range r.Frames {
		for c, fac := range f.Factories {
			out[c] = fac
		}
	}
	if r.m != nil {
		for _, c := range r.m.Cells {
			if c.Factory != "" {
				out[c.Name] = c.Factory
			}
		}
	}
	return out
}

// Status is a frame's status as `lywatch history` shows it.
func (r *Recorded) Status(f session.Frame) string {
	if isCurrent(f, r.m) {
		return FrameCurrent
	}
	return FrameOK
}
