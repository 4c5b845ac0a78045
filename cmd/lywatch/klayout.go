package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

const klayoutUsage = `Usage: lywatch klayout install|start|list|status|stop|token [flags]

  install [--dir DIR]        install lywatch's server as an autorun macro
                             (~/.klayout/pymacros/lywatch_server.lym)
  start [--name NAME] [--port N] [--listen ADDR] [--lyipc] [--klive]
        [--allow DIR] [FILE...]
                             start KLayout with the server (and FILEs open),
                             named for this project
  list [--json]              the KLayouts running lywatch's server (* this
                             project's)
  status [--klayout HOST:PORT] [--json]
                             what the server reports, or why none answers
  stop [--name NAME | --target HOST:PORT] [--force]
                             end the KLayout started for this project
  token [--path]             print the token every request carries (created
                             on first use, mode 0600), or its file
`

func runKLayout(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, klayoutUsage)
		return exitError
	}
	switch args[0] {
	case "install":
		return runKLayoutInstall(e, args[1:])
	case "start":
		return runKLayoutStart(ctx, e, args[1:])
	case "status":
		return runKLayoutStatus(ctx, e, args[1:])
	case "token":
		return runKLayoutToken(e, args[1:])
	case "list":
		return runKLayoutList(ctx, e, args[1:])
	case "stop":
		return runKLayoutStop(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, klayoutUsage)
		return exitOK
	}
	fmt.Fprint(e.stderr, klayoutUsage)
	return e.errorf("klayout: unknown subcommand %q", args[0])
}

// klayoutFlags is the flag set of 'lywatch klayout NAME', whose usage is
// NAME's entry of klayoutUsage and its flags written --flag.
func klayoutFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("klayout "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	usage(fs, "Usage: lywatch klayout "+klayoutEntry(name))
	return fs
}

// klayoutEntry is NAME's entry of klayoutUsage: its synopsis and what it
// does, the lines from "  NAME" to the next subcommand's.
func klayoutEntry(name string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(klayoutUsage, "\n") {
		switch {
		case strings.HasPrefix(line, "  "+name+" ") || line == "  "+name:
			in = true
		case in && len(line) > 2 && line[2] != ' ':
			in = false
		}
		if in {
			b.WriteString(strings.TrimPrefix(line, "  ") + "\n")
		}
	}
	if b.Len() == 0 {
		return name + " [flags]\n"
	}
	return b.String()
}

func runKLayoutInstall(e *env, args []string) int {
	fs := klayoutFlags(e, "install")
	dir := fs.String("dir", "", "macro folder (default $KLAYOUT_HOME/pymacros or ~/.klayout/pymacros)")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.errorf("klayout install: unexpected arguments %q", pos)
	}
	path, changed, err := klayout.Install(*dir)
	if err != nil {
		return e.errorf("klayout install: %v", err)
	}
	if changed {
		fmt.Fprintf(e.stdout, "installed lywatch server %s as an autorun macro: %s\n", klayout.ServerVersion(), path)
		fmt.Fprintf(e.stdout, "restart KLayout (klayout -e) to start it; it listens on %s\n", ipc.DefaultAddr)
	} else {
		fmt.Fprintf(e.stdout, "lywatch server %s already installed: %s\n", klayout.ServerVersion(), path)
	}
	return exitOK
}

func runKLayoutToken(e *env, args []string) int {
	fs := klayoutFlags(e, "token")
	path := fs.Bool("path", false, "print the token file's path instead")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.errorf("klayout token: unexpected arguments %q", pos)
	}
	p, err := ipc.TokenPath()
	if err != nil {
		return e.errorf("klayout token: %v", err)
	}
	tok, err := ipc.ReadTokenFile(p, true)
	if err != nil {
		return e.errorf("klayout token: %v", err)
	}
	if *path {
		fmt.Fprintln(e.stdout, p)
	} else {
		fmt.Fprintln(e.stdout, tok)
	}
	return exitOK
}

// klayoutLogTail returns the last n lines of a KLayout's log file, "" when
// it cannot be read.
func klayoutLogTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
