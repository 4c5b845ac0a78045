package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/runner"
)

// Failed is the loop's hook for a failed build: KLayout, which keeps the
// last good layout, says so in its status bar with the build's last line
// (a Python traceback's exception). It does not hold the loop.
func (p *Pipeline) Failed(ctx context.Context, t loop.Target, res *runner.Result) {
	what := "the build"
	if t.Name != "" {
		what = "the build of " + t.Name
	}
	msg := fmt.Sprintf("%s failed (%s)", what, res)
	if res.LastLine != "" {
		msg += ": " + res.LastLine
	}
	p.note(ctx, msg)
}

// note shows msg in KLayout, in the background.
func (p *Pipeline) note(ctx context.Context, msg string) {
	if p.push == nil {
		return
	}
	ctx = context.WithoutCancel(ctx) // the cycle may end first
	go func() {
		if err := p.push.Note(ctx, "lywatch: "+msg+"; the last good layout stays"); err != nil {
			p.logf("note in KLayout: %v", err)
		}
	}()
}

// Reshow shows the last good layout of every target again in the
// KLayouts that have not been shown it: a KLayout restarted, or started
// for the project, since. The CLI calls it when a KLayout's discovery file
// appears and whenever the loop goes idle.
func (p *Pipeline) Reshow(ctx context.Context) {
	if p.push == nil {
		return
	}
	back := p.push.Probe(ctx)
	if len(back) == 0 {
		return
	}
	p.mu.Lock()
	var paths []string
	for _, k := range p.keys() {
		if path := p.lastShown[k]; path != "" {
			paths = append(paths, path)
		}
	}
	p.mu.Unlock()
	for _, path := range paths {
		note, err := p.push.Push(ctx, lastGood(path))
		if err != nil {
			p.logf("KLayout at %s: show %s again: %v", strings.Join(back, ", "), shown(p.proj.Sources, path), err)
			continue
		}
		p.logf("KLayout at %s: showed %s again (%s)", strings.Join(back, ", "), shown(p.proj.Sources, path), note)
	}
}
