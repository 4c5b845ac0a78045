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
func (l *loop) describe(c *Cycle) []string {
	cs := c.Changes
	var s string
	switch {
	case c.Initial:
		s = "start-up"
	case cs.Empty():
		s = "no change"
	case len(cs.Changes) == 1:
		s = l.rel(cs.Changes[0].Path) + " " + verb(cs.Changes[0].Kind)
	case len(cs.Changes) == 2:
		s = l.rel(cs.Changes[0].Path) + ", " + l.rel(cs.Changes[1].Path) + " changed"
	default:
		s = fmt.Sprintf("%s and %d more files changed", l.rel(cs.Changes[0].Path), len(cs.Changes)-1)
	}
	if cs.Rescan {
		s += " (rescan)"
	}
	return []string{s}
}

func verb(k watcher.Kind) string {
	if k == watcher.Modified {
		return "changed"
	}
	return k.String()
}

// buildPart is "build 1.24 s ok", "build chip 0.31 s failed (exit 2)".
func (l *loop) buildPart(t Target, res *runner.Result, named bool) string {
	name := "build"
	if named && t.Name != "" {
		name += " " + t.Name
	}
	d := runner.FormatDuration(res.Duration)
	switch {
	case res.OK():
		return l.good("%s %s ok", name, d)
	case res.Err != nil:
		return l.bad("%s failed: %v", name, res.Err)
	default:
		return l.bad("%s %s failed (%s)", name, d, res)
	}
}

// print writes one summary line.
func (l *loop) print(parts []string) {
	fmt.Fprintln(l.o.Out, strings.Join(parts, arrow))
}

// rel shows p relative to Root when it is below it.
func (l *loop) rel(p string) string {
	if l.o.Root == "" {
		return p
	}
	r, err := filepath.Rel(l.o.Root, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return p
	}
	return r
}

func (l *loop) paint(attr color.Attribute, format string, args ...any) string {
	c := color.New(attr)
	if l.o.Color {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c.Sprintf(format, args...)
}

func (l *loop) good(format string, args ...any) string {
	return l.paint(color.FgGreen, format, args...)
}

func (l *loop) bad(format string, args ...any) string {
	return l.paint(color.FgRed, format, args...)
}

func (l *loop) warn(format string, args ...any) string {
	return l.paint(color.FgYellow, format, args...)
}
