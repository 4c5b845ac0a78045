package ipc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Report says what each target did with one push.
type Report struct {
	Targets []TargetReport
}

// TargetReport is one KLayout's answer to a push.
type TargetReport struct {
	Addr     string
	Instance string // the server instance (changes when KLayout restarts)
	// Type is "open" (a new view), "reload" (every view of the file
	// re-read), "incremental" (only the changed cells read into the open
	// layout) or "none" (nothing had changed).
	Type      string
	Followed  []Follow    // cells followed after a rename
	LeftAlone []LeftAlone // views not reloaded, and why
	Fallback  string      // why an incremental push became a full one
	Changed   int         // cells sent by an incremental push (new, or their own content changed)
	Removed   int         // cells an incremental push deleted
	Sent      int64       // bytes of layout on the wire (0 when only the path went)
	Load      time.Duration
	Elapsed   time.Duration
	Err       error
}

// Follow is a cell on a view's shown path that a reload removed, and what
// the view shows instead.
type Follow struct {
	View int    `json:"view"`
	From string `json:"from"`
	To   string `json:"to"`
	// Kind is "followed" (the cell the same factory made, the view box
	// kept) or "parent" (none found: the parent, zoomed to fit).
	Kind string `json:"kind"`
}

// LeftAlone is a view the push did not touch.
type LeftAlone struct {
	View   int    `json:"view"`
	Reason string `json:"reason"`
}

// Summary is the push's part of the loop's summary line, such as
// "reload, followed mmi1x2_W0p5 → mmi1x2_W0p6" or "incremental (3 cells)".
func (r *Report) Summary() string {
	var parts []string
	for _, t := range r.Targets {
		if t.Err != nil {
			continue
		}
		s := t.Type
		if t.Type == "incremental" {
			s += " (" + count(t.Changed, "cell")
			if t.Removed > 0 {
				s += fmt.Sprintf(", %d removed", t.Removed)
			}
			s += ")"
		}
		for _, f := range t.Followed {
			if f.Kind == "parent" {
				s += fmt.Sprintf(", %s gone → %s", f.From, f.To)
			} else {
				s += fmt.Sprintf(", followed %s → %s", f.From, f.To)
			}
		}
		if n := len(t.LeftAlone); n > 0 {
			s += ", " + count(n, "view") + " with unsaved edits left alone"
		}
		if len(r.Targets) > 1 {
			s = t.Addr + ": " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Err returns the targets' errors joined, or nil. errors.Is(err,
// ErrNoServer) holds when every target had nothing listening.
func (r *Report) Err() error {
	var errs []error
	for _, t := range r.Targets {
		if t.Err != nil {
			errs = append(errs, t.Err)
		}
	}
	if len(errs) > 0 && len(errs) == len(r.Targets) && allNoServer(errs) {
		return &NoServerError{Addr: r.addrs(), Err: errors.Join(errs...)}
	}
	return errors.Join(errs...)
}

func allNoServer(errs []error) bool {
	for _, err := range errs {
		if !errors.Is(err, ErrNoServer) {
			return false
		}
	}
	return true
}

func (r *Report) addrs() string {
	var a []string
	for _, t := range r.Targets {
		a = append(a, t.Addr)
	}
	return strings.Join(a, ", ")
}

// count says n things: "1 cell", "3 cells".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
