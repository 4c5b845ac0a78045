// Package loop runs lywatch's live cycle: change sets from the watcher, an
// optional plan of what to rebuild, the build (package runner), optional
// after-build hooks, and one summary line per cycle such as
//
//	pdk/waveguides.py changed → build 1.24 s ok → build/chip.gds → push 35 ms
//
// # The cycle
//
// Run starts the Source (a *watcher.Watcher), builds once at start-up unless
// Options.NoInitial, then waits for change sets. Changes that arrive while a
// cycle runs are merged (watcher.Merge) into the next one; with
// runner.Restart (the default) they also stop the running build, whose
// changes are merged back so that none is lost; with runner.Queue the build
// finishes first. There is never more than one build at a time, and the last
// build always sees the last content. Every target's Output is given to
// Source.IgnorePath so a build never triggers itself. Run returns when ctx is
// done, after stopping the build's process group.
//
// # Hooks
//
// The later stages plug in through Options.Hooks, all optional:
//
//   - Hooks.Plan(ctx, *Cycle) (*Plan, error) runs before the build with the
//     cycle's change set (Cycle.Initial is true for the start-up build,
//     where everything is to be built; Cycle.Changes.Rescan after lost file
//     system events). Plan.Targets names the targets to build (nil: all;
//     empty, non-nil: none, and the summary says "nothing to rebuild"),
//     Plan.Env adds KEY=VALUE pairs to every build's environment and
//     Plan.Note is shown in the summary line after the changed files. An
//     error is printed in the summary and every target is built. This is
//     where depgraph's invalidation goes.
//   - Hooks.After is a list of Hook{Name, Run} run in order after each good
//     build of a target (exit 0), never after a failed or stopped one. Run
//     gets a *Build: the Cycle, the Target, the runner.Result and a Values
//     map that hooks use to hand things on (by convention "layout" holds the
//     *gds.Library the read hook made). Each hook's time is appended to the
//     summary as "→ NAME 35 ms", followed by the note it returns in
//     parentheses. A hook error ends that build's hooks and is shown as
//     "→ NAME failed: ERR"; a hook that wants to report a problem and let
//     the rest run returns a note and a nil error. Hooks run with the loop's
//     context: a restart does not interrupt them, quitting does. This is
//     where reading the layout (gds), saving the session (session) and
//     pushing into KLayout (ipc) go.
//
// The build's environment holds runner.EnvChanged and runner.EnvEventsFile
// (a JSON Events document) and EnvCycle, EnvTarget, EnvOutput, EnvInitial.
package loop
