package main

import (
	"fmt"
	"strings"
	"time"
)

// The text helpers several subcommands share: no subcommand file uses
// another's (TestSubcommandFilesStandAlone).

// historyNames is how many cell or file names a line lists without --all.
const historyNames = 4

// names lists the first few of l, and how many more.
func names(l []string, all bool) string {
	if all || len(l) <= historyNames {
		return strings.Join(l, ", ")
	}
	return strings.Join(l[:historyNames], ", ") + fmt.Sprintf(", … %d more", len(l)-historyNames)
}

// frameSummary says why a frame was built and what it changed:
// "mmi.py → 4 changed: chip, mmi1x2, …; 1 removed: pad".
func frameSummary(trigger, changed, removed []string, all bool) string {
	why := "first build"
	if len(trigger) > 0 {
		why = names(trigger, all)
	}
	what := "no cell changed"
	if len(changed) > 0 {
		what = fmt.Sprintf("%d changed: %s", len(changed), names(changed, all))
	}
	if len(removed) > 0 {
		what += fmt.Sprintf("; %d removed: %s", len(removed), names(removed, all))
	}
	return why + " → " + what
}

// shortCommit shortens a git commit hash as git log --oneline does.
func shortCommit(c string) string {
	if len(c) > 10 {
		return c[:10]
	}
	return c
}

// sessionErr drops the package prefix the command's own prefix repeats.
func sessionErr(err error) string { return strings.TrimPrefix(err.Error(), "session: ") }

// ipcDuration writes a push's or a render's time: µs, ms or s.
func ipcDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
