package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// command is one subcommand: its name, a one-line summary for `lywatch help`,
// and the function that runs it with the arguments after its name.
type command struct {
	name    string
	usage   string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands lists the subcommands in the order `lywatch help` shows them.
// Adding a subcommand is one line here and one file beside this one.
func commands() []command {
	return []command{
		{"gds", "gds info|diff ...", "read, hash and compare GDSII layouts", runGDS},
		{"push", "push FILE [flags]", "push a layout into a running KLayout", runPush},
		{"klayout", "klayout install|start|list|status|stop|token", "manage lywatch's server inside KLayout", runKLayout},
		{"graph", "graph [--json|--dot]", "print the dependency graph of the factories", runGraph},
		{"why", "why NAME", "explain what NAME depends on and why it is stale", runWhy},
		{"session", "session show|save|clear", "inspect and manage the saved session", runSession},
		{"version", "version", "print lywatch's version", runVersion},
		{"help", "help [COMMAND]", "show this help", runHelp},
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

const helpHeader = `lywatch watches layout factory sources, rebuilds what an edit affects and
pushes the new layout into a running KLayout, keeping the view.

Usage:
  lywatch [flags] -- CMD ARGS...   watch, rebuild with CMD, push (see 'lywatch help watch')
  lywatch COMMAND [ARGS...]

Commands:
`

func runHelp(_ context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] != "watch" {
		c := lookup(args[0])
		if c == nil {
			return e.errorf("help: unknown command %q", args[0])
		}
		fmt.Fprintf(e.stdout, "Usage: lywatch %s\n\n%s\n\nRun 'lywatch %s -h' for its flags.\n", c.usage, c.summary, c.name)
		return exitOK
	}
	if len(args) > 0 && args[0] == "watch" {
		return runWatch(context.Background(), e, []string{"-h"})
	}
	var b strings.Builder
	b.WriteString(helpHeader)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-32s %s\n", c.usage, c.summary)
	}
	fmt.Fprint(e.stdout, b.String())
	return exitOK
}

// parseArgs parses a subcommand's flags and positional arguments in any
// order (all after "--" are positional). When ok is false the command
// returns code at once: 0 after -h, 2 for a bad flag (the flag package has
// said why on stderr).
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitError, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
