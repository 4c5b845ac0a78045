package ipc

import "testing"

// TestReportSummary: the push's part of the summary line.
func TestReportSummary(t *testing.T) {
	tests := []struct {
		t    TargetReport
		want string
	}{
		{TargetReport{Type: "open"}, "open"},
		{TargetReport{Type: "incremental", Changed: 1}, "incremental (1 cell)"},
		{TargetReport{Type: "incremental", Changed: 3, Removed: 2}, "incremental (3 cells, 2 removed)"},
		{TargetReport{Type: "reload", Followed: []Follow{{From: "a_1", To: "a_2", Kind: "followed"}}}, "reload, followed a_1 → a_2"},
	}
	for _, tc := range tests {
		r := &Report{Targets: []TargetReport{tc.t}}
		if got := r.Summary(); got != tc.want {
			t.Errorf("Summary() = %q, want %q", got, tc.want)
		}
	}
}
