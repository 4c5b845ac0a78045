package ipc

import (
	"errors"
	"testing"
)

func TestReportSummary(t *testing.T) {
	tests := []struct {
		name    string
		targets []TargetReport
		want    string
	}{
		{"reload", []TargetReport{{Type: "reload"}}, "reload"},
		{"followed", []TargetReport{{Type: "reload", Followed: []Follow{{From: "mmi1x2_W0p5", To: "mmi1x2_W0p6", Kind: "followed"}}}},
			"reload, followed mmi1x2_W0p5 → mmi1x2_W0p6"},
		{"gone to the parent", []TargetReport{{Type: "reload", Followed: []Follow{{From: "xyz_A", To: "mzi_L10", Kind: "parent"}}}},
			"reload, xyz_A gone → mzi_L10"},
		{"both, in two views", []TargetReport{{Type: "reload", Followed: []Follow{
			{View: 0, From: "a_1", To: "a_2", Kind: "followed"}, {View: 1, From: "b_1", To: "top", Kind: "parent"}}}},
			"reload, followed a_1 → a_2, b_1 gone → top"},
		{"one cell", []TargetReport{{Type: "incremental", Changed: 1, LeftAlone: []LeftAlone{{View: 1, Reason: "x"}}}},
			"incremental (1 cell), 1 view with unsaved edits left alone"},
		{"incremental", []TargetReport{{Type: "incremental", Changed: 3, Removed: 1, Followed: []Follow{{From: "a_1", To: "a_2", Kind: "followed"}}}},
			"incremental (3 cells, 1 removed), followed a_1 → a_2"},
		{"left alone", []TargetReport{{Type: "reload", LeftAlone: []LeftAlone{{View: 1, Reason: "unsaved edits in KLayout"}}}},
			"reload, 1 view with unsaved edits left alone"},
		{"two KLayouts, one failed", []TargetReport{{Addr: "127.0.0.1:1", Type: "open"}, {Addr: "127.0.0.1:2", Err: errors.New("x")},
			{Addr: "127.0.0.1:3", Type: "reload", Followed: []Follow{{From: "a_1", To: "a_2", Kind: "followed"}}}},
			"127.0.0.1:1: open; 127.0.0.1:3: reload, followed a_1 → a_2"},
	}
	for _, tt := range tests {
		if got := (&Report{Targets: tt.targets}).Summary(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
