package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lywatch/lywatch/project"
)

// SessionCheck is `lywatch check --session`: whether each target's last
// good layout is current, from the session and the graph alone.
type SessionCheck struct {
	Targets []SessionTarget `json:"targets"`
	// Warnings are about the session as a whole.
	Warnings []string `json:"warnings,omitempty"`
	// Elapsed is the time the answer took.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// SessionTarget is one target of a SessionCheck.
type SessionTarget struct {
	Target string `json:"target"`
	// Stale is true when a build of the target would run.
	Stale bool `json:"stale"`
	// State is the session's own account: "valid", "stale", "untracked",
	// "unusable", "foreign", or "none" (nothing saved for the target).
	State string `json:"state"`
	// Reason says why it is stale, or why it is current though files
	// changed.
	Reason string `json:"reason,omitempty"`
	// Files are the changed files; Chain goes from an edit to the target.
	Files []string `json:"files,omitempty"`
	Chain []string `json:"chain,omitempty"`
}

// Stale reports whether any target is stale.
func (c *SessionCheck) Stale() bool {
	for _, t := range c.Targets {
		if t.Stale {
			return true
		}
	}
	return false
}

// CheckSession answers "is anything stale?" for the project's targets (or
// those named) without building anything, from the session (read without
// its lock, so it works while a loop runs) and the graph saved with each
// target's last good build, as the live loop decides at start-up: a
// target is stale when the changed files reach it through the graph, when
// nothing usable is saved for it, or when it places the layout of a stale
// target.
func CheckSession(ctx context.Context, proj *project.Project, names ...string) (*SessionCheck, error) {
	start := time.Now()
	sel, err := selectTargets(proj, names)
	if err != nil {
		return nil, err
	}
	if proj.SessionDir == "" {
		return nil, fmt.Errorf("the project keeps no session (no_session): nothing to check it against")
	}
	st, err := SessionStatus(ctx, proj)
	if err != nil {
		return nil, err
	}
	out := &SessionCheck{Warnings: st.Warnings, Targets: []SessionTarget{}}
	byName := map[string]TargetStatus{}
	for _, t := range st.Targets {
		byName[t.Target] = t
	}
	var keys []string
	for _, t := range sel.Targets {
		keys = append(keys, t.Key())
	}
	order, _ := buildOrder(keys, st.Dependencies)
	var stale []string
	for _, k := range order {
		r := sessionTarget(k, byName)
		for _, u := range st.Dependencies[k] {
			if !r.Stale && slices.Contains(stale, u) {
				r.Stale, r.Reason = true, "it places the layout of "+u+", which is stale"
			}
		}
		if r.Stale {
			stale = append(stale, k)
		}
		out.Targets = append(out.Targets, r)
	}
	out.Elapsed = time.Since(start)
	return out, nil
}

// sessionTarget is one target's answer from its session status.
func sessionTarget(key string, byName map[string]TargetStatus) SessionTarget {
	t, ok := byName[key]
	if !ok {
		return SessionTarget{Target: key, Stale: true, State: "none", Reason: "nothing saved for it: no good build since the session began"}
	}
	r := SessionTarget{Target: key, State: t.State}
	switch t.State {
	case "valid":
		return r
	case "untracked":
		r.Stale, r.Reason = true, "the session tracks no files for it"
	case "stale":
		s := t.Stale
		r.Files = s.Files
		switch {
		case s.Error != "":
			r.Stale, r.Reason = true, "the graph cannot tell what the changes reach: "+s.Error
		case s.Reaches:
			r.Stale, r.Chain = true, s.Chain
			r.Reason = plural(len(s.Files), "file") + " changed since its last good build"
		default:
			r.Reason = plural(len(s.Files), "file") + " changed, none of it code the target uses"
		}
	default:
		r.Stale, r.Reason = true, t.Warning
	}
	return r
}
