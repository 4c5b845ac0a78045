package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

func runKLayoutStop(ctx context.Context, e *env, args []string) int {
	fs := klayoutFlags(e, "stop")
	target := fs.String("klayout", "", "stop the KLayout at `HOST:PORT` (default: the one started for this project)")
	name := fs.String("name", "", "stop the KLayout of this name (default: the project directory)")
	force := fs.Bool("force", false, "stop even when KLayout holds unsaved edits (they are lost)")
	wait := fs.Duration("wait", 20*time.Second, "how long to wait for KLayout to end")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.errorf("klayout stop: unexpected arguments %q", pos)
	}
	addr := *target
	if addr == "" {
		n := *name
		if n == "" {
			n = projectDir()
		}
		live, _, err := klayout.List()
		if err != nil {
			return e.errorf("klayout stop: %v", err)
		}
		for _, d := range live {
			if d.Listening && d.Name == n {
				addr = d.Addr()
				break
			}
		}
		if addr == "" {
			fmt.Fprintf(e.stderr, "lywatch: klayout stop: no KLayout named %q runs lywatch's server ('lywatch klayout list' shows those that do; --target ADDR stops another)\n", n)
			return exitFail
		}
	}
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	s, err := klayout.Stop(wctx, &ipc.Client{Addr: addr, Timeout: 5 * time.Second}, *force)
	if err != nil {
		fmt.Fprintf(e.stderr, "lywatch: klayout stop: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "stopped KLayout (pid %d) on %s\n", s.PID, addr)
	return exitOK
}
