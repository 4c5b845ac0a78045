package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lywatch/lywatch/geomdiff"
	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/session"
)

// CheckOptions configure Check.
type CheckOptions struct {
	// Targets limits the check to these targets (by name); nil: all.
	Targets []string
	// Reference replaces the configured reference layout; it needs a
	// single target.
	Reference string
	// Update accepts the new layouts as the references: each that differs
	// from its reference, or has no reference file yet, is copied there
	// (with the NAME.cells.json the build wrote beside it, if any).
	Update bool
	// Artifacts, when set, is a folder that receives, per target that
	// differs, an XOR layout and a PNG of each differing cell (in a folder
	// named after the target), and report.json: the whole report.
	Artifacts string
	// Tolerance is the XOR's tolerance in database units (see
	// geomdiff.Options.Tolerance).
	Tolerance int
	// KLayout is the klayout binary for the XOR; "" finds it on PATH.
	KLayout string
	// Out receives the builds' summary lines and output; nil drops them.
	Out io.Writer
	// Color colours the summary lines and the builds' prefixes.
	Color bool
	// Logf receives warnings; nil drops them.
	Logf func(format string, args ...any)
}

// Statuses of a TargetCheck.
const (
	CheckSame        = "same"         // the geometry is the reference's
	CheckDifferent   = "different"    // it is not
	CheckNoReference = "no reference" // the reference file does not exist yet
	CheckUnchecked   = "unchecked"    // built, with no reference to compare with
	CheckUpdated     = "updated"      // Update wrote the new layout as the reference
	CheckFailed      = "failed"       // the build, or reading or comparing its layout, failed
)

// CheckReport is what `lywatch check` found.
type CheckReport struct {
	// Note says what the working tree's changes since the session reach
	// ("session valid", "2 files changed since the session").
	Note string `json:"note,omitempty"`
	// Targets are in build order.
	Targets []TargetCheck `json:"targets"`
	// BuildOutput is the end of the builds' output when one failed.
	BuildOutput string `json:"build_output,omitempty"`
}

// TargetCheck is one target's result.
type TargetCheck struct {
	Target string `json:"target"`
	// Output is the target's own output (never written by Check).
	Output string `json:"output,omitempty"`
	// Built is true when the changes reached the target and it was built;
	// false when the session's last good layout was current.
	Built bool `json:"built"`
	// Reference is the layout compared with.
	Reference string `json:"reference,omitempty"`
	// Status is one of the Check* statuses.
	Status string `json:"status"`
	// Error says why the target failed, or why it has no reference.
	Error string `json:"error,omitempty"`
	// Diff is how the layout differs from the reference.
	Diff *geomdiff.Result `json:"diff,omitempty"`
	// Artifacts is the folder of the target's XOR layout and pictures.
	Artifacts string `json:"artifacts,omitempty"`
}

// Failed reports whether a target failed: a build, a read, a comparison.
func (r *CheckReport) Failed() bool {
	for _, t := range r.Targets {
		if t.Status == CheckFailed {
			return true
		}
	}
	return false
}

// Different reports whether a target differs from its reference or has
// none yet.
func (r *CheckReport) Different() bool {
	for _, t := range r.Targets {
		if t.Status == CheckDifferent || t.Status == CheckNoReference {
			return true
		}
	}
	return false
}

// ErrNotRedirected is the error of a target whose build succeeded but did
// not write the output Check redirected it to.
var ErrNotRedirected = errors.New("the build did not write the output it was redirected to")

// Check is the pipeline run once without a watcher, for pre-commit hooks
// and CI: from the session and the dependency graph it works out which
// targets the working tree's changes reach and builds only those, into a
// temporary folder (see Redirect; the user's outputs and the session are
// never written); it takes the others' last good layouts from the
// session; then it compares each layout with the target's reference,
// first by hashes, then, for the cells whose hashes differ, by KLayout's
// XOR (package geomdiff).
func Check(ctx context.Context, proj *project.Project, o CheckOptions) (*CheckReport, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	sel, err := selectTargets(proj, o.Targets)
	if err != nil {
		return nil, err
	}
	if o.Reference != "" {
		if len(sel.Targets) != 1 {
			return nil, fmt.Errorf("--reference names the reference of one target; the project has %d: choose one with --target", len(sel.Targets))
		}
		sel.Targets[0].Reference = o.Reference
	}
	tmp, err := os.MkdirTemp("", "lywatch-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	built := Redirect(sel, tmp)
	if err := MakeOutputDirs(built); err != nil {
		return nil, err
	}
	rep, p, err := buildOnce(ctx, built, o)
	if err != nil {
		return nil, err
	}
	graph := p.Graph(ctx)
	for i := range rep.Targets {
		tc := &rep.Targets[i]
		t, _ := built.Target(tc.Target)
		orig, _ := sel.Target(tc.Target)
		tc.Reference, tc.Output = orig.Reference, orig.Output
		if tc.Status != "" {
			continue
		}
		compareTarget(ctx, tc, proj.Dir, t.Output, orig, FactoryRule(graph, t.Output, orig.Reference), o)
	}
	if o.Artifacts != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.MkdirAll(o.Artifacts, 0o755)
		}
		if err == nil {
			err = session.WriteFileAtomic(filepath.Join(o.Artifacts, "report.json"), append(b, '\n'), 0o644)
		}
		if err != nil {
			return nil, fmt.Errorf("artifacts: %w", err)
		}
	}
	return rep, nil
}

// selectTargets returns the project limited to the targets named.
func selectTargets(proj *project.Project, names []string) (*project.Project, error) {
	out := *proj
	if len(proj.Targets) == 0 {
		return nil, errors.New("no target to check: set command and output (and reference) in lywatch.toml or [tool.lywatch], or [[targets]]")
	}
	out.Targets = nil
	if len(names) == 0 {
		out.Targets = append(out.Targets, proj.Targets...) // a copy: Check may set a reference
		return &out, nil
	}
	for _, n := range names {
		t, ok := proj.Target(n)
		if !ok {
			var known []string
			for _, t := range proj.Targets {
				known = append(known, t.Key())
			}
			return nil, fmt.Errorf("no target %q (the project has %s)", n, strings.Join(known, ", "))
		}
		out.Targets = append(out.Targets, t)
	}
	return &out, nil
}

// buildOnce runs one cycle of the pipeline on the redirected project: the
// targets the session serves are restored into the temporary folder, the
// others built there. It returns one TargetCheck per target, in build
// order, with Status set for those that failed.
func buildOnce(ctx context.Context, proj *project.Project, o CheckOptions) (*CheckReport, *Pipeline, error) {
	var store Store
	if proj.SessionDir != "" {
		st, err := session.OpenReadOnly(proj.SessionDir, session.Options{Root: proj.Root})
		if err != nil {
			return nil, nil, err
		}
		defer st.Close()
		store = st
	}
	p, err := Open(ctx, Options{Project: proj, Store: store, ReadOnly: true, Logf: o.Logf})
	if err != nil {
		return nil, nil, err
	}
	var reports bytes.Buffer
	output := &tailWriter{max: 8000}
	w := io.MultiWriter(o.Out, output)
	lo := loop.Options{
		Targets: p.Targets(),
		Runner:  &runner.Runner{Dir: proj.Dir, Stdout: w, Stderr: w, Color: o.Color},
		Once:    true, Out: o.Out, JSON: &reports, Color: o.Color, Root: proj.Sources,
		Hooks: loop.Hooks{Plan: p.Plan, After: p.After, Cached: p.Cached},
	}
	if _, err := loop.Run(ctx, lo); err != nil {
		return nil, nil, err
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	var cycle loop.Report
	if err := json.Unmarshal(reports.Bytes(), &cycle); err != nil {
		return nil, nil, fmt.Errorf("check: the cycle's report: %w", err)
	}
	rep := &CheckReport{Note: cycle.Note, Targets: []TargetCheck{}}
	byName := map[string]loop.BuildReport{}
	for _, b := range cycle.Builds {
		byName[b.Target] = b
	}
	for _, lt := range lo.Targets {
		t, _ := proj.Target(lt.Name)
		tc := TargetCheck{Target: t.Key()}
		b, ok := byName[lt.Name]
		tc.Built = ok && b.Status != loop.StatusCached
		switch {
		case !ok:
			tc.Status, tc.Error = CheckFailed, "not built"
		case b.Status == loop.StatusFailed && b.Error == "":
			tc.Status, tc.Error = CheckFailed, buildFailure(b)
			rep.BuildOutput = output.String()
		case b.Status == loop.StatusFailed:
			tc.Status, tc.Error = CheckFailed, b.Error
			if t.Output != "" && !exists(t.Output) {
				tc.Error = fmt.Sprintf("%v (%s): name the output in the target's command (-rd out=PATH, --output PATH) or make the build write to $LYWATCH_OUTPUT", ErrNotRedirected, t.Output)
			}
		case t.Output == "":
			tc.Status, tc.Error = CheckUnchecked, "the target names no output layout"
		case !exists(t.Output):
			tc.Status, tc.Error = CheckFailed, fmt.Sprintf("%v (%s): name the output in the target's command (-rd out=PATH, --output PATH) or make the build write to $LYWATCH_OUTPUT", ErrNotRedirected, t.Output)
		}
		rep.Targets = append(rep.Targets, tc)
	}
	return rep, p, nil
}

// buildFailure says how a build failed.
func buildFailure(b loop.BuildReport) string {
	if b.Signal != "" {
		return "the build was killed by " + b.Signal
	}
	return fmt.Sprintf("the build failed (exit %d)", b.ExitCode)
}

// compareTarget compares a target's new layout with its reference and, on
// request, accepts it as the new reference.
func compareTarget(ctx context.Context, tc *TargetCheck, dir, out string, t project.Target, factory func(string, map[string]string) string, o CheckOptions) {
	ref := t.Reference
	switch {
	case ref == "":
		tc.Status, tc.Error = CheckUnchecked, "no reference layout: set reference = \"tests/ref/NAME.gds\" for the target, or give --reference"
		return
	case !exists(ref):
		tc.Status, tc.Error = CheckNoReference, fmt.Sprintf("%s does not exist yet: run lywatch check --update to make it", shown(dir, ref))
		if o.Update {
			update(tc, out, ref)
		}
		return
	}
	opts := geomdiff.Options{Tolerance: o.Tolerance, Factory: factory, KLayout: o.KLayout}
	if o.Artifacts != "" {
		opts.Artifacts = filepath.Join(o.Artifacts, safeName(tc.Target))
	}
	res, err := geomdiff.Compare(ctx, ref, out, opts)
	if err != nil {
		tc.Status, tc.Error = CheckFailed, err.Error()
		return
	}
	tc.Diff = res
	tc.Artifacts = res.XORLayout
	if tc.Artifacts != "" {
		tc.Artifacts = filepath.Dir(tc.Artifacts)
	}
	if res.Same {
		tc.Status = CheckSame
		return
	}
	tc.Status = CheckDifferent
	if o.Update {
		update(tc, out, ref)
	}
}

// update copies the new layout, and the cells file beside it, to the
// reference.
func update(tc *TargetCheck, out, ref string) {
	if err := copyFile(out, ref); err != nil {
		tc.Status, tc.Error = CheckFailed, fmt.Sprintf("update %s: %v", ref, err)
		return
	}
	if side := cellsFile(out); exists(side) {
		if err := copyFile(side, cellsFile(ref)); err != nil {
			tc.Status, tc.Error = CheckFailed, fmt.Sprintf("update %s: %v", cellsFile(ref), err)
			return
		}
	}
	tc.Status, tc.Error = CheckUpdated, ""
}

// cellsFile is the NAME.cells.json beside a layout (see layoutCells).
func cellsFile(layout string) string {
	return strings.TrimSuffix(strings.TrimSuffix(layout, ".gz"), ".gds") + ".cells.json"
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return session.WriteFileAtomic(dst, b, 0o644)
}

// shown is p relative to dir when it lies below it.
func shown(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil && filepath.IsLocal(r) {
		return r
	}
	return p
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, fs.ErrNotExist)
}

// tailWriter keeps the last max bytes written to it. A build's standard
// output and error write to it from two goroutines.
type tailWriter struct {
	max int
	mu  sync.Mutex
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.max {
		w.buf = append([]byte(nil), w.buf[len(w.buf)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
