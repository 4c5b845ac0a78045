// Command lywatch watches layout factory sources, rebuilds what an edit
// affects and pushes the new layout into a running KLayout.
//
// main only parses the subcommand and hands over; each subcommand lives in a
// file of its own and its logic in the packages it calls (the live loop's
// in package pipeline).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/lywatch/lywatch/runner"
)

func main() {
	// lywatch runs each build under a copy of itself (runner.Runner.Guard).
	if code, ok := runner.GuardMain(os.Args[1:]); ok {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes shared by the subcommands.
const (
	exitOK    = 0
	exitFail  = 1 // the thing checked failed (a build, a diff that found differences)
	exitError = 2 // bad usage or an error that stopped the command
)

// env is what every subcommand gets: its streams. No globals.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func (e *env) errorf(format string, args ...any) int {
	fmt.Fprintf(e.stderr, "lywatch: "+format+"\n", args...)
	return exitError
}

// run dispatches to a subcommand. Flags and "--" start the live loop
// (lywatch [flags] -- CMD ARGS...); any other first word must be a
// subcommand.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) > 0 {
		switch args[0] {
		case "--version", "-version":
			return runVersion(ctx, e, nil)
		case "--help", "-help", "-h":
			return runHelp(ctx, e, nil)
		}
		if c := lookup(args[0]); c != nil {
			return c.run(ctx, e, args[1:])
		}
		if !strings.HasPrefix(args[0], "-") {
			return unknownCommand(e, args[0])
		}
	}
	return runWatch(ctx, e, args)
}
