package loop

import (
	"encoding/json"
	"time"

	"github.com/lywatch/lywatch/runner"
	"github.com/lywatch/lywatch/watcher"
)

// Report is one cycle as Options.JSON receives it: one JSON object per
// line, written when the cycle ends (lywatch --json). It says what the
// summary line says, for programs: tracing successive builds, editors,
// pre-commit scripts.
type Report struct {
	// Cycle counts cycles from 1.
	Cycle int `json:"cycle"`
	// Time is when the cycle started.
	Time time.Time `json:"time"`
	// Initial is true for the start-up build.
	Initial bool `json:"initial"`
	// Rescan is true when the changes come from a full rescan (lost events).
	Rescan bool `json:"rescan,omitzero"`
	// Changes are the confirmed changes the cycle builds for.
	Changes []watcher.Change `json:"changes"`
	// Note is the plan's note ("2 factories invalidated", "no code changed").
	Note string `json:"note,omitzero"`
	// Invalidated are the factory names the plan found invalidated.
	Invalidated []string `json:"invalidated,omitzero"`
	// Builds are the target builds run, in the order they ended.
	Builds []BuildReport `json:"builds"`
	// Status is "ok" (every build and stage good), "failed", "stopped" (a
	// restart or lywatch quitting), "nothing to rebuild" or "cached" (every
	// target served from the session, no build).
	Status string `json:"status"`
	// PlanError says why the plan failed; every target is then built.
	PlanError string `json:"plan_error,omitzero"`
	// PlanMS is the time the plan took, in milliseconds (0 without a
	// planner).
	PlanMS float64 `json:"plan_ms,omitzero"`
	// DurationMS is the cycle's wall time in milliseconds.
	DurationMS float64 `json:"duration_ms"`
}

// BuildReport is one target's build in a Report.
type BuildReport struct {
	// Target is the target's name ("" for the single unnamed one).
	Target string `json:"target"`
	// Output is the layout the build writes, if known.
	Output string `json:"output,omitzero"`
	// Status is "ok", "failed" (exit status, signal or start error, or an
	// after-build stage failed), "stopped" or "cached" (served from the
	// session without a build).
	Status string `json:"status"`
	// ExitCode is the build's exit status (-1: killed or never started).
	ExitCode int `json:"exit_code"`
	// Signal names the signal that ended the build, if one did.
	Signal string `json:"signal,omitzero"`
	// TimedOut is true when the build ran past its timeout and was stopped.
	TimedOut bool `json:"timed_out,omitzero"`
	// Error is the start or clean-up error, or the failed stage's.
	Error string `json:"error,omitzero"`
	// DurationMS is the build's wall time in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Stages are the after-build stages that had something to do (read,
	// push, save), in the order the summary line shows them.
	Stages []StageReport `json:"stages,omitzero"`
}

// StageReport is one after-build stage of a BuildReport.
type StageReport struct {
	// Name is the stage's name: "read", "save", "push".
	Name string `json:"name"`
	// DurationMS is its wall time in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Note is what the summary line shows for it ("15 cells, 3 changed").
	Note string `json:"note,omitzero"`
	// Error says why it failed; the stages that needed its result did not
	// run.
	Error string `json:"error,omitzero"`
	// Cells (read), Trace (trace) and Frame (history) are what those
	// stages found, for programs; see report_stage.go.
	Cells *CellChanges `json:"cells,omitempty"`
	Trace *TraceReport `json:"trace,omitempty"`
	Frame *FrameReport `json:"frame,omitempty"`
}

// Report statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusStopped = "stopped"
	StatusNothing = "nothing to rebuild"
	// StatusCached is a target (and a cycle) served from the session,
	// with no build: its last good layout is current.
	StatusCached = "cached"
)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// newReport starts the report of cycle c.
func newReport(c *Cycle, start time.Time) *Report {
	r := &Report{Cycle: c.N, Time: start, Initial: c.Initial, Rescan: c.Changes.Rescan, Changes: c.Changes.Changes, Builds: []BuildReport{}}
	if r.Changes == nil {
		r.Changes = []watcher.Change{}
	}
	return r
}

// buildReport describes a build's result.
func buildReport(t Target, res *runner.Result) BuildReport {
	b := BuildReport{Target: t.Name, Output: t.Output, ExitCode: res.ExitCode, DurationMS: ms(res.Duration)}
	switch {
	case res.Stopped:
		b.Status = StatusStopped
	case res.OK():
		b.Status = StatusOK
	default:
		b.Status = StatusFailed
	}
	if res.Signal != 0 {
		b.Signal = res.Signal.String()
	}
	b.TimedOut = res.TimedOut
	if res.Err != nil {
		b.Error = res.Err.Error()
	}
	return b
}

// report writes r as one line of JSON to Options.JSON, if set.
func (s *sched) report(r *Report, start time.Time) {
	if s.o.JSON == nil {
		return
	}
	r.DurationMS = ms(time.Since(start))
	data, err := json.Marshal(r)
	if err != nil {
		s.logf("json report: %v", err)
		return
	}
	if _, err := s.o.JSON.Write(append(data, '\n')); err != nil {
		s.logf("json report: %v", err)
	}
}
