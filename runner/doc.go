// Package runner runs build commands for lywatch, each build in a process
// group of its own, with its output streamed live behind a coloured prefix
// and one status line (exit code and duration) when it ends. Builds of one
// Runner may run side by side.
//
// Stopping a build (its context is cancelled, for a restart or because lywatch
// is quitting) sends SIGTERM to the whole group, waits a grace period, sends
// SIGKILL, and returns only once no process of the group is left, checked
// with kill(-pgid, 0) returning ESRCH. Processes a build leaves behind when it
// exits normally are stopped the same way, so no build ever outlives its
// status line. The runner knows nothing of watching: what changed reaches it
// as plain data (Request.Changed, Request.Events) and is handed to the build
// in its environment (see EnvChanged, EnvEventsFile).
//
// A Worker runs the builds of one target warm: it keeps the build's
// interpreter (python3, or klayout -b) between builds, running a driver that
// ships inside lywatch (warm_driver.py, embedded), and gives each build the
// result it would have run on its own (see Worker).
package runner
