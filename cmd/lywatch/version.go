package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/lywatch/lywatch/internal/version"
)

func runVersion(_ context.Context, e *env, _ []string) int {
	fmt.Fprintf(e.stdout, "lywatch %s (%s, %s/%s)\n", version.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
