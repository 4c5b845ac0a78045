package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/lywatch/lywatch/internal/flagusage"
)

// command is one subcommand: its name, a one-line summary for `lywatch help`,
// its subcommands (for suggestions), and the function that runs it with the
// arguments after its name.
type command struct {
	name    string
	usage   string
	summary string
	subs    []string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands lists the subcommands in the order `lywatch help` shows them.
// Adding a subcommand is one line here and one file beside this one.
func commands() []command {
	return []command{
		{"gds", "gds info|diff|gzip ...", "read, hash and compare GDSII layouts", []string{"info", "diff", "gzip"}, runGDS},
		{"push", "push FILE [flags]", "push a layout into a running KLayout", nil, runPush},
		{"klayout", "klayout install|start|list|status|stop|token", "manage lywatch's server inside KLayout", []string{"install", "start", "list", "status", "stop", "token"}, runKLayout},
		{"graph", "graph [--json|--dot]", "print the dependency graph of the factories", nil, runGraph},
		{"why", "why NAME", "explain what NAME depends on and why it is stale", nil, runWhy},
		{"session", "session show|save|clear|hash", "inspect and manage the saved session", []string{"show", "save", "clear", "hash"}, runSession},
		{"check", "check [--session] [--update]", "rebuild what changes reach, compare with the reference layouts (pre-commit, CI)", nil, runCheck},
		{"history", "history [--target T] [--json]", "list the layouts of the good builds, with why and what changed", nil, runHistory},
		{"replay", "replay [--step] [--gif FILE]", "show the history again in KLayout, or as a GIF (--gif)", nil, runReplay},
		{"version", "version", "print lywatch's version", nil, runVersion},
		{"help", "help [COMMAND]", "show this help, or a command's usage", nil, runHelp},
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

// runHelp prints the command list, or a command's full usage: the same
// text as `lywatch COMMAND -h`, on standard output.
func runHelp(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		var b strings.Builder
		b.WriteString(helpHeader)
		for _, c := range commands() {
			fmt.Fprintf(&b, "  %-32s %s\n", c.usage, c.summary)
		}
		b.WriteString("\nRun 'lywatch help COMMAND' for a command's flags.\n")
		fmt.Fprint(e.stdout, b.String())
		return exitOK
	}
	out := &env{stdin: e.stdin, stdout: e.stdout, stderr: e.stdout}
	if args[0] == "watch" {
		return runWatch(ctx, out, []string{"-h"})
	}
	c := lookup(args[0])
	if c == nil {
		return unknownCommand(e, args[0])
	}
	return c.run(ctx, out, append(args[1:], "-h"))
}

// usage gives fs the usage text `lywatch help CMD` and `lywatch CMD -h`
// print: head, then every flag written as the README writes it (--flag).
func usage(fs *flag.FlagSet, head string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, strings.TrimRight(head, "\n")+"\n")
		if hasFlags(fs) {
			fmt.Fprint(w, "\nFlags:\n")
			flagusage.Print(w, fs)
		}
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
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

// unknownCommand says a word is no subcommand, names the closest one, and
// reminds that a build command goes after --.
func unknownCommand(e *env, word string) int {
	msg := fmt.Sprintf("unknown command %q", word)
	if s := closestCommand(word); s != "" {
		msg += fmt.Sprintf(" (did you mean 'lywatch %s'?)", s)
	}
	return e.errorf("%s\nRun 'lywatch help' for the commands; a build command goes after --: lywatch -- %s ...", msg, word)
}

// closestCommand returns the command (or "command sub") whose last word
// is closest to word by edit distance, or "" when none is close.
func closestCommand(word string) string {
	best, bestD := "", -1
	try := func(full, last string) {
		d := editDistance(strings.ToLower(word), last)
		if bestD < 0 || d < bestD {
			best, bestD = full, d
		}
	}
	for _, c := range commands() {
		try(c.name, c.name)
		for _, s := range c.subs {
			try(c.name+" "+s, s)
		}
	}
	if bestD < 0 || bestD > max(2, len(word)/3) {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance of a and b: each
// insertion, deletion, substitution or swap of two neighbours counts one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
