package loop_test

import (
	"context"
	"fmt"
	"os"

	"github.com/lywatch/lywatch/loop"
	"github.com/lywatch/lywatch/runner"
)

// Example shows how the later stages plug in: a planner that chooses the
// targets, and after-build hooks that read the layout, save the session and
// push, handing the layout on through Build.Values.
func Example() {
	plan := func(ctx context.Context, c *loop.Cycle) (*loop.Plan, error) {
		if c.Initial {
			return nil, nil // build everything
		}
		// depgraph: (*Graph).Update(ctx, c.Changes.Paths()) -> Invalidation.Targets
		return &loop.Plan{Targets: []string{"chip"}, Env: []string{"LYWATCH_STALE_CELLS=ring"}, Note: "1 cell stale"}, nil
	}
	read := loop.Hook{Name: "read", Run: func(ctx context.Context, b *loop.Build) (string, error) {
		// lib, err := gds.ReadFile(b.Target.Output)
		b.Values["layout"] = b.Target.Output
		return "12 cells", nil
	}}
	save := loop.Hook{Name: "save", Run: func(ctx context.Context, b *loop.Build) (string, error) {
		// store.Save(b.Target.Name, manifest, b.Target.Output)
		return "", nil
	}}
	push := loop.Hook{Name: "push", Run: func(ctx context.Context, b *loop.Build) (string, error) {
		// res, err := client.Push(ctx, b.Target.Output, ipc.PushOptions{})
		return "reload", nil
	}}
	code, err := loop.Run(context.Background(), loop.Options{
		Targets: []loop.Target{{Name: "chip", Command: []string{"sh", "-c", "echo > /tmp/chip.gds"}, Output: "/tmp/chip.gds"}},
		Runner:  &runner.Runner{Stdout: os.Stdout, Stderr: os.Stderr},
		Out:     os.Stdout,
		Once:    true, // live: Source: w (a *watcher.Watcher), Once: false
		Hooks:   loop.Hooks{Plan: plan, After: []loop.Hook{read, save, push}},
	})
	fmt.Println(code, err)
}
