package loop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/runner"
)

// decodeReports reads JSON lines strictly: every line one Report, no
// unknown field, nothing else.
func decodeReports(t *testing.T, data string) []Report {
	t.Helper()
	var out []Report
	for _, line := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		if line == "" {
			continue
		}
		d := json.NewDecoder(strings.NewReader(line))
		d.DisallowUnknownFields()
		var r Report
		if err := d.Decode(&r); err != nil {
			t.Fatalf("not a report: %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// TestReportOnce checks the JSON report of one cycle for each way a cycle
// can end.
func TestReportOnce(t *testing.T) {
	after := func(reports ...StageReport) func(context.Context, *Build) []StageReport {
		return func(context.Context, *Build) []StageReport { return reports }
	}
	read := StageReport{Name: "read", Note: "2 cells"}
	refuse := StageReport{Name: "push", Error: "refused"}
	plan := func(p *Plan, err error) func(context.Context, *Cycle) (*Plan, error) {
		return func(context.Context, *Cycle) (*Plan, error) { return p, err }
	}
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		hooks   Hooks
		want    Report // Cycle, Time and durations are not compared
	}{{
		name: "good build with stages", script: "echo x > out.gds",
		hooks: Hooks{After: after(read)},
		want: Report{Initial: true, Status: StatusOK, Builds: []BuildReport{{Status: StatusOK,
			Stages: []StageReport{{Name: "read", Note: "2 cells"}}}}},
	}, {
		name: "failed build", script: "exit 3",
		hooks: Hooks{After: after(read)},
		want:  Report{Initial: true, Status: StatusFailed, Builds: []BuildReport{{Status: StatusFailed, ExitCode: 3}}},
	}, {
		name: "failed stage", script: "echo x > out.gds",
		hooks: Hooks{After: after(read, refuse)},
		want: Report{Initial: true, Status: StatusFailed, Builds: []BuildReport{{Status: StatusFailed, Error: "refused",
			Stages: []StageReport{{Name: "read", Note: "2 cells"}, {Name: "push", Error: "refused"}}}}},
	}, {
		name: "timed out", script: "sleep 10", timeout: 100 * time.Millisecond,
		want: Report{Initial: true, Status: StatusFailed, Builds: []BuildReport{{Status: StatusFailed, ExitCode: -1, Signal: "terminated", TimedOut: true}}},
	}, {
		name: "killed build", script: "kill -9 $$",
		want: Report{Initial: true, Status: StatusFailed, Builds: []BuildReport{{Status: StatusFailed, ExitCode: -1, Signal: "killed"}}},
	}, {
		name: "plan failed: everything builds", script: "true",
		hooks: Hooks{Plan: plan(nil, errors.New("graph gone"))},
		want:  Report{Initial: true, Status: StatusOK, PlanError: "graph gone", Builds: []BuildReport{{Status: StatusOK}}},
	}, {
		name: "plan with nothing to build", script: "true",
		hooks: Hooks{Plan: plan(&Plan{Targets: []string{}, Note: "no code changed"}, nil)},
		want:  Report{Initial: true, Status: StatusNothing, Note: "no code changed", Builds: []BuildReport{}},
	}, {
		name: "every target from the cache", script: "exit 1",
		hooks: Hooks{Plan: plan(&Plan{Targets: []string{}, Cached: []string{""}, Note: "session valid"}, nil),
			Cached: func(context.Context, Target) []StageReport { return []StageReport{{Name: "push", Note: "open"}} }},
		want: Report{Initial: true, Status: StatusCached, Note: "session valid",
			Builds: []BuildReport{{Status: StatusCached, Stages: []StageReport{{Name: "push", Note: "open"}}}}},
	}, {
		name: "plan's note and factories", script: "true",
		hooks: Hooks{Plan: plan(&Plan{Note: "1 factory invalidated", Invalidated: []string{"ring"}}, nil)},
		want: Report{Initial: true, Status: StatusOK, Note: "1 factory invalidated", Invalidated: []string{"ring"},
			Builds: []BuildReport{{Status: StatusOK}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, js testsupport.Buffer
			target := Target{Command: []string{"sh", "-c", tc.script}, Output: filepath.Join(dir, "out.gds"), Timeout: tc.timeout}
			o := Options{
				Targets: []Target{target},
				Runner:  &runner.Runner{Dir: dir, Stdout: &out, Stderr: &out},
				Out:     &out, JSON: &js, Root: dir, Once: true, Hooks: tc.hooks,
			}
			before := time.Now()
			if _, err := Run(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			reports := decodeReports(t, js.String())
			if len(reports) != 1 {
				t.Fatalf("%d reports, want 1:\n%s", len(reports), js.String())
			}
			got := reports[0]
			if got.Cycle != 1 || got.Time.Before(before.Add(-time.Second)) || got.DurationMS < 0 {
				t.Errorf("cycle %d at %v (%v ms)", got.Cycle, got.Time, got.DurationMS)
			}
			tc.want.Changes = got.Changes // none at start-up: checked below
			if len(got.Changes) != 0 {
				t.Errorf("start-up report has changes %v", got.Changes)
			}
			for i := range tc.want.Builds {
				tc.want.Builds[i].Output = target.Output
			}
			if !reflect.DeepEqual(clearTimes(got), tc.want) {
				t.Errorf("report\n%+v\nwant\n%+v", clearTimes(got), tc.want)
			}
		})
	}
}

// clearTimes zeroes what differs from run to run.
func clearTimes(r Report) Report {
	r.Cycle, r.Time, r.DurationMS, r.PlanMS = 0, time.Time{}, 0, 0
	builds := append([]BuildReport{}, r.Builds...)
	for i := range builds {
		builds[i].DurationMS = 0
		stages := append([]StageReport(nil), builds[i].Stages...)
		for j := range stages {
			stages[j].DurationMS = 0
		}
		builds[i].Stages = stages
	}
	r.Builds = builds
	return r
}

// TestReportLive follows a restart: the stopped cycle is reported as
// stopped, and the next one carries both changes; stdout-like JSON gets
// nothing but reports.
func TestReportLive(t *testing.T) {
	var js testsupport.Buffer
	h := start(t, blockScript, func(o *Options) { o.NoInitial = true; o.JSON = &js })
	h.src.send(t, h.path("a.py"))
	waitFor(t, "build 1 to block", func() bool { return len(h.lines("pid")) == 1 && h.lines("pid")[0] != "" })
	h.src.send(t, h.path("b.py"))
	waitFor(t, "two reports", func() bool { return strings.Count(js.String(), "\n") == 2 })
	r := decodeReports(t, js.String())
	if r[0].Cycle != 1 || r[0].Status != StatusStopped || len(r[0].Builds) != 1 || r[0].Builds[0].Status != StatusStopped {
		t.Errorf("first report %+v, want cycle 1 stopped with its build stopped", r[0])
	}
	var paths []string
	for _, c := range r[1].Changes {
		paths = append(paths, c.Path)
	}
	if r[1].Cycle != 2 || r[1].Status != StatusOK || !reflect.DeepEqual(paths, []string{h.path("a.py"), h.path("b.py")}) {
		t.Errorf("second report %+v, want cycle 2 ok for a.py and b.py", r[1])
	}
	if r[1].Changes[0].Kind.String() != "modified" || r[1].Changes[0].NewHash == "" {
		t.Errorf("change %+v lacks its kind or hash", r[1].Changes[0])
	}
	if bytes.Contains([]byte(h.out.String()), []byte(`"cycle"`)) {
		t.Errorf("JSON went to the summary writer too:\n%s", h.out.String())
	}
}
