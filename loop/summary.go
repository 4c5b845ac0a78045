package loop

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// arrow joins the parts of a summary line.
const arrow = " → "

// describe returns the first part of the summary line: what changed.
func (s *sched) describe(c *Cycle) []string {
	cs := c.Changes
	var d string
	switch {
	case c.Initial && cs.Empty():
		d = "start-up"
	case cs.Empty():
		d = "no change"
	case len(cs.Changes) == 1:
		d = s.rel(cs.Changes[0].Path) + " " + verb(cs.Changes[0].Kind)
	case len(cs.Changes) == 2:
		d = s.rel(cs.Changes[0].Path) + ", " + s.rel(cs.Changes[1].Path) + " changed"
	default:
		d = fmt.Sprintf("%s and %d more files changed", s.rel(cs.Changes[0].Path), len(cs.Changes)-1)
	}
	if cs.Rescan {
		d += " (rescan)"
	}
	return []string{d}
}

func verb(k watcher.Kind) string {
	if k == watcher.Modified {
		return "changed"
	}
	return k.String()
}

// buildPart is "build 1.24 s ok", "build 12 ms ok (warm)", "build 0.31 s
// failed (exit 2)". (The line of a named target among several starts with
// its name.)
func (s *sched) buildPart(res *runner.Result) string {
	d := runner.FormatDuration(res.Duration)
	how := ""
	if res.Worker != "" {
		how = " (" + res.Worker + ")"
	}
	switch {
	case res.OK():
		return s.good("build %s ok%s", d, how)
	case res.Err != nil:
		return s.bad("build failed: %v", res.Err)
	default:
		return s.bad("build %s failed (%s)%s", d, res, how)
	}
}

// print writes one summary line.
func (s *sched) print(parts []string) {
	fmt.Fprintln(s.o.Out, strings.Join(parts, arrow))
}

// rel shows p relative to Root when it is below it.
func (s *sched) rel(p string) string {
	if s.o.Root == "" {
		return p
	}
	r, err := filepath.Rel(s.o.Root, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return p
	}
	return r
}

func (s *sched) paint(attr color.Attribute, format string, args ...any) string {
	c := color.New(attr)
	if s.o.Color {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c.Sprintf(format, args...)
}

func (s *sched) good(format string, args ...any) string {
	return s.paint(color.FgGreen, format, args...)
}

func (s *sched) bad(format string, args ...any) string {
	return s.paint(color.FgRed, format, args...)
}

func (s *sched) warn(format string, args ...any) string {
	return s.paint(color.FgYellow, format, args...)
}
