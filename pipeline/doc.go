// Package pipeline is what lywatch does between a save and KLayout, as a
// library the subcommands call:
//
//		change set ─▶ Plan ─▶ (the loop runs the builds) ─▶ After: read ─▶ push ┐
//		                                                                 └▶ save ┘
//
//	  - Open restores a project from its session: it checks each target's
//	    tracked files, restores the dependency graph, and decides which
//	    targets the cached layout still serves (shown at start-up with no
//	    build, through Cached) and which are stale.
//	  - Plan turns a change set into the targets to rebuild, through the
//	    dependency graph's invalidation, in build order (a target after those
//	    whose layouts it places), with what the loop schedules by: which
//	    target's layout places which others' (loop.Plan.Uses), which targets
//	    the change reaches, the modules a warm worker compiles again, and the
//	    session layout a build may reuse cells from (EnvSessionLayout). A
//	    target stays invalidated until a build of it succeeds, so a failed or
//	    stopped build loses nothing; a good build settles only the edits its
//	    plan saw.
//	  - After runs the stages after a good build, declared in one place
//	    (stages.go) with typed data between them: read the layout and hash its
//	    cells, then push it into KLayout and save the session side by side, so
//	    showing never waits for saving. A new stage is one file and one entry
//	    in that list.
//	  - Status, Why and Graph answer `lywatch session show`, `why` and
//	    `graph` from the same graph and session the loop uses: there is one
//	    invalidation engine and one rule for which factory made a cell
//	    (FactoryRule hands it to the layout comparisons).
//	  - Check is the cycle run once without a watcher (`lywatch check`):
//	    the session read-only, the builds redirected into a folder of their
//	    own (Redirect), each layout compared with its reference by package
//	    geomdiff. CheckSession says what is stale without building. With
//	    Options.DiffDir, the diff stage shows each build's XOR with the
//	    previous good layout in KLayout (`--show-diff`).
//
// The pipeline knows nothing of flags or terminal wording; package loop
// schedules it, and cmd/lywatch prints it.
package pipeline
