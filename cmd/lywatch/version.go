package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"

	"github.com/lywatch/lywatch/internal/version"
)

func runVersion(_ context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	usage(fs, "Usage: lywatch version\n\nPrints lywatch's version, the Go version it was built with, and the platform.")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.errorf("version: unexpected argument %q", pos[0])
	}
	fmt.Fprintf(e.stdout, "lywatch %s (%s, %s/%s)\n", version.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
