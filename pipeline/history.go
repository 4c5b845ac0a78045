package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
)

// MetaOutput is the manifest entry recording the target's output,
// relative to the root, so that `lywatch replay` run without a
// configuration file knows the file KLayout shows.
const MetaOutput = "output"

// buildSaver is a Store that says which history frame holds a saved
// layout and records a note in it (*session.Store is one).
type buildSaver interface {
	SaveBuild(target string, m *session.Manifest, layout []byte, note session.FrameNote) (session.Saved, error)
}

// traceSaver is a Store that keeps a build's trace with its frame.
type traceSaver interface {
	SaveTrace(target string, seq int, steps []session.TraceInput, dropped int) error
}

// saveBuild saves a good build's manifest and layout, recording in its
// history frame the commit of the sources (when the checkout has no
// uncommitted change to them) and where the frame is in b.
func (p *Pipeline) saveBuild(ctx context.Context, b *built, m *session.Manifest) error {
	if b.target.Output != "" {
		if rel, err := session.RelPath(p.proj.Root, b.target.Output); err == nil {
			if m.Meta == nil {
				m.Meta = map[string]string{}
			}
			m.Meta[MetaOutput] = rel
		}
	}
	bs, ok := p.store.(buildSaver)
	if !ok {
		return p.store.SaveLayout(b.target.Key(), m, b.data)
	}
	note := session.FrameNote{Commit: sourceCommit(ctx, p.proj.Root, p.proj.Sources, m.Files)}
	saved, err := bs.SaveBuild(b.target.Key(), m, b.data, note)
	if err != nil {
		return err
	}
	b.frame = saved
	return nil
}

// previousLayout makes sure the pipeline knows a target's last good
// layout before its build is settled: a pipeline opened to rebuild
// everything (--once) restores nothing, yet the cells a build changed and
// removed are counted against the session's last good layout.
func (p *Pipeline) previousLayout(key string) {
	p.mu.Lock()
	_, known := p.layouts[key]
	p.mu.Unlock()
	if known || p.store == nil {
		return
	}
	m, err := p.store.Load(key)
	if err != nil || m == nil {
		return
	}
	p.mu.Lock()
	if _, known := p.layouts[key]; !known {
		p.layouts[key] = layoutStateOf(m.Cells)
	}
	p.mu.Unlock()
}

// historyStage keeps the build's trace with the history frame that holds
// its layout, and names the frame in the report.
type historyStage struct{ p *Pipeline }

func (historyStage) name() string { return "history" }

func (s historyStage) run(ctx context.Context, b *built) (string, error) {
	if b.frame.Frame == 0 {
		return "", errQuiet // no session, or no history kept
	}
	note := fmt.Sprintf("frame %d", b.frame.Frame)
	if !b.frame.Added {
		note += ", the same layout"
	}
	if len(b.trace) == 0 && b.traceDropped == 0 {
		return note, nil
	}
	ts, ok := s.p.store.(traceSaver)
	if !ok {
		return note, nil
	}
	steps := make([]session.TraceInput, len(b.trace))
	for i, f := range b.trace {
		steps[i] = session.TraceInput{Label: f.Label, Cell: f.Cell, Time: f.Time, Path: f.Path}
	}
	if err := ts.SaveTrace(b.target.Key(), b.frame.Frame, steps, b.traceDropped); err != nil {
		return "", err
	}
	return note + fmt.Sprintf(", %s", plural(len(steps), "trace step")), nil
}

// report names the frame.
func (historyStage) report(b *built, r *loop.StageReport) {
	r.Frame = &loop.FrameReport{Seq: b.frame.Frame, Added: b.frame.Added, TraceSteps: len(b.trace)}
}

// History is a project's history of good builds: what `lywatch history`
// prints.
type History struct {
	// Dir is the session folder.
	Dir string `json:"dir"`
	// Targets are the targets with a history, in name order.
	Targets []TargetHistory `json:"targets"`
}

// TargetHistory is one target's frames, oldest first.
type TargetHistory struct {
	Target string `json:"target"`
	// Output is the layout file the live loop shows ("" if unknown).
	Output string         `json:"output,omitempty"`
	Frames []HistoryFrame `json:"frames"`
	// Warning says why the target's history could not be read.
	Warning string `json:"warning,omitempty"`
}

// HistoryFrame is one frame as `lywatch history` shows it.
type HistoryFrame struct {
	Seq  int    `json:"seq"`
	Time string `json:"time"` // RFC 3339, UTC
	// Trigger are the source files changed since the frame before
	// (root-relative); empty for the first.
	Trigger []string `json:"trigger"`
	// Changed and Removed are the cells changed and removed.
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
	// Commit is the git commit of the sources, when the checkout had no
	// uncommitted change to them.
	Commit string `json:"commit,omitempty"`
	// Status is "current" for the frame holding the session's last good
	// layout (what KLayout shows), "ok" for the others.
	Status string `json:"status"`
	// TraceSteps is the number of trace steps kept with the frame, and
	// TraceDropped those past the bounds.
	TraceSteps   int `json:"trace_steps"`
	TraceDropped int `json:"trace_dropped,omitempty"`
	// Bytes is the size of the frame's stored files.
	Bytes int64 `json:"bytes"`
}

// Frame statuses.
const (
	FrameCurrent = "current"
	FrameOK      = "ok"
)

// ReadHistory reads the history of a project's targets (or only those
// named), read-only: it works while a live lywatch holds the session.
func ReadHistory(proj *project.Project, only ...string) (*History, error) {
	if proj.SessionDir == "" {
		return nil, fmt.Errorf("the project keeps no session (no_session), so no history")
	}
	st, err := session.OpenReadOnly(proj.SessionDir, session.Options{Root: proj.Root})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	names, err := st.Targets()
	if err != nil {
		return nil, err
	}
	if len(only) > 0 {
		var keys []string
		for _, name := range only {
			key, err := pickTarget(st, proj, name)
			if err != nil {
				return nil, err
			}
			keys = append(keys, key)
		}
		names = keys
	}
	h := &History{Dir: st.Dir(), Targets: []TargetHistory{}}
	for _, name := range names {
		h.Targets = append(h.Targets, targetHistory(st, proj, name))
	}
	return h, nil
}

// keyOf is the session's name of a target given by name.
func keyOf(proj *project.Project, name string) string {
	if t, ok := proj.Target(name); ok {
		return t.Key()
	}
	if name == "" {
		return project.DefaultTarget
	}
	return name
}

func targetHistory(st *session.Store, proj *project.Project, key string) TargetHistory {
	th := TargetHistory{Target: key, Frames: []HistoryFrame{}}
	m, err := st.Load(key)
	if err != nil {
		th.Warning = err.Error()
	}
	th.Output = outputOf(proj, key, m)
	frames, _, err := st.History(key)
	if err != nil {
		th.Warning = err.Error()
		return th
	}
	for _, f := range frames {
		th.Frames = append(th.Frames, historyFrame(f, m))
	}
	return th
}

func historyFrame(f session.Frame, m *session.Manifest) HistoryFrame {
	hf := HistoryFrame{
		Seq: f.Seq, Time: f.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Commit: f.Commit, Status: FrameOK,
		Trigger: orEmpty(f.Trigger), Changed: orEmpty(f.Changed), Removed: orEmpty(f.Removed), Bytes: f.Layout.Size,
	}
	if f.Trace != nil {
		hf.TraceSteps, hf.TraceDropped = len(f.Trace.Steps), f.Trace.Dropped
		for _, s := range f.Trace.Steps {
			hf.Bytes += s.Layout.Size
		}
	}
	if isCurrent(f, m) {
		hf.Status = FrameCurrent
	}
	return hf
}

// isCurrent reports whether frame f holds the manifest's layout.
func isCurrent(f session.Frame, m *session.Manifest) bool {
	if m == nil {
		return false
	}
	if f.Cells != "" {
		return f.Cells == session.CellsDigest(m.Cells)
	}
	return f.Layout.SHA256 == m.Layout.SHA256
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// outputOf is a target's output: the project's, else the one its last
// save recorded.
func outputOf(proj *project.Project, key string, m *session.Manifest) string {
	if t, ok := proj.Target(key); ok && t.Output != "" {
		return t.Output
	}
	if m != nil && m.Meta[MetaOutput] != "" {
		p := filepath.Join(proj.Root, filepath.FromSlash(m.Meta[MetaOutput]))
		if project.Within(proj.Root, p) {
			return p
		}
	}
	return ""
}

// compile-time checks that the session's Store does what the stages ask.
var (
	_ buildSaver = (*session.Store)(nil)
	_ traceSaver = (*session.Store)(nil)
)
