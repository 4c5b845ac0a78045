package loop_test

import (
	"context"
	"fmt"
	"os"

	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/runner"
)

// Example shows how the later stages plug in: a planner that chooses the
// targets, and the stages after a good build (package pipeline reads the
// layout, pushes it and saves the session), reported one by one.
func Example() {
	plan := func(ctx context.Context, c *loop.Cycle) (*loop.Plan, error) {
		if c.Initial {
			return nil, nil // build everything
		}
		// depgraph: (*Graph).Update(ctx, c.Changes.Paths()) -> Invalidation.Targets
		return &loop.Plan{Targets: []string{"chip"}, Env: []string{"LYWATCH_STALE_CELLS=ring"}, Note: "1 cell stale"}, nil
	}
	after := func(ctx context.Context, b *loop.Build) []loop.StageReport {
		// The stages after a good build, each with its time and note:
		// lib, err := gds.ReadFile(b.Target.Output); store.Save(...); client.Push(...)
		return []loop.StageReport{{Name: "read", DurationMS: 4, Note: "12 cells"}, {Name: "push", DurationMS: 30, Note: "reload"}}
	}
	code, err := loop.Run(context.Background(), loop.Options{
		Targets: []loop.Target{{Name: "chip", Command: []string{"sh", "-c", "echo > /tmp/chip.gds"}, Output: "/tmp/chip.gds"}},
		Runner:  &runner.Runner{Stdout: os.Stdout, Stderr: os.Stderr},
		Out:     os.Stdout,
		Once:    true, // live: Source: w (a *watcher.Watcher), Once: false
		Hooks:   loop.Hooks{Plan: plan, After: after},
	})
	fmt.Println(code, err)
}
