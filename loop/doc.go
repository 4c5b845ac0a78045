// Package loop runs lywatch's live cycle: change sets from the watcher, an
// optional plan of what to rebuild, the build (package runner), optional
// after-build hooks, and one summary line per cycle such as
//
//	pdk/waveguides.py changed → build 1.24 s ok → build/chip.gds → push 35 ms
//
// # The cycle
//
// Run starts the Source (a *watcher.Watcher), builds once at start-up unless
// Options.NoInitial, then waits for change sets. Each cycle is planned as
// its changes come, and makes one job per target to build. Jobs run side
// by side, up to Options.Jobs at once, except that a target waits for the
// targets whose layouts it places (Plan.Uses) and never runs twice at once;
// each job's summary line is printed when it ends, behind its target's
// name when there are several targets.
//
// With runner.Restart (the default) a change that arrives while builds
// run is planned at once: the builds of the targets it reaches
// (Plan.Reached) are stopped and built again, bringing their changes
// along so that none is lost; a target whose job has not started yet
// moves into the new cycle; the builds the change does not reach go on.
// With runner.Queue the change waits until every build has ended. The last
// build of a target always sees the last content. Every target's Output is
// given to Source.IgnorePath so a build never triggers itself. Run returns
// when ctx is done, after stopping the builds' process groups and the warm
// workers (Target.Warm: see runner.Worker).
//
// # Hooks
//
// The later stages plug in through Options.Hooks, all optional:
//
//   - Hooks.Plan(ctx, *Cycle) (*Plan, error) runs before the builds with the
//     cycle's change set (Cycle.Initial is true for the start-up build,
//     where everything is to be built; Cycle.Changes.Rescan after lost file
//     system events). Plan.Targets names the targets to build (nil: all;
//     empty, non-nil: none, and the summary says "nothing to rebuild"),
//     Plan.Env adds KEY=VALUE pairs to every build's environment
//     (Plan.TargetEnv to one target's), Plan.Uses and Plan.Reached schedule
//     them (above), Plan.Reload goes to warm workers, and Plan.Note is
//     shown in the summary line after the changed files. An error is
//     printed in the summary and every target is built. This is where
//     depgraph's invalidation goes.
//   - Hooks.After(ctx, *Build) []StageReport runs after each good build of
//     a target (exit 0), never after a failed or stopped one. The Build
//     holds the Cycle, the Target, the runner.Result and the Plan the build
//     was made with. Each stage's time is appended to the summary as
//     "→ NAME 35 ms", followed by its note in parentheses; a stage with an
//     Error is shown as "→ NAME failed: ERR" and fails the build. The
//     stages run with the build's context: a change that stops the build
//     stops them too. Hooks.Cached shows a target the plan serves from the
//     cache (Plan.Cached) the same way, with no build. This is
//     where reading the layout (gds), saving the session (session) and
//     pushing into KLayout (ipc) go.
//
// The build's environment holds runner.EnvChanged and runner.EnvEventsFile
// (a JSON Events document) and EnvCycle, EnvTarget, EnvOutput, EnvInitial.
package loop
