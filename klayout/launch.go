package klayout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lywatch/lywatch/ipc"
)

// LaunchOptions configures Launch.
type LaunchOptions struct {
	KLayout string   // the klayout binary; "klayout" from PATH if empty
	Port    int      // the server's port; the macro's default (11078) if 0
	Files   []string // layouts to open
	Env     []string // more environment variables (e.g. DISPLAY=:99)
	Dir     string   // where the macro and the log go; DiscoveryDir() if empty
	// Lyipc and Klive switch on the server's unauthenticated lyipc and
	// klive compatibility.
	Lyipc, Klive bool
	// Allow lists folders the server may read layouts from and write
	// images to, besides the project roots authenticated clients send.
	Allow []string
}

// Launched is a KLayout started by Launch.
type Launched struct {
	PID   int
	Macro string // the extracted server macro
	Log   string // KLayout's output
}

// Launch starts `klayout -e -rm lywatch_server.py FILES...` detached from
// lywatch (its own session, output to a log file) and returns at once; use
// WaitReady to wait for the server.
func Launch(opts LaunchOptions) (*Launched, error) {
	bin := opts.KLayout
	if bin == "" {
		bin = "klayout"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("klayout not found (%v): install it (Debian/Ubuntu: apt-get install klayout; others: https://www.klayout.de/build.html)", err)
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = DiscoveryDir(); err != nil {
			return nil, err
		}
	}
	macro, err := ExtractMacro(dir)
	if err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		port = PortOf(ipc.DefaultAddr)
	}
	logPath := filepath.Join(dir, "klayout-"+strconv.Itoa(port)+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("klayout log: %w", err)
	}
	defer logf.Close()
	args := []string{"-e", "-rm", macro}
	for _, f := range opts.Files {
		if abs, err := filepath.Abs(f); err == nil {
			f = abs
		}
		args = append(args, f)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "LYWATCH_PORT="+strconv.Itoa(port))
	if opts.Lyipc {
		cmd.Env = append(cmd.Env, "LYWATCH_LYIPC=1")
	}
	if opts.Klive {
		cmd.Env = append(cmd.Env, "LYWATCH_KLIVE=1")
	}
	if len(opts.Allow) > 0 {
		var abs []string
		for _, a := range opts.Allow {
			if p, err := filepath.Abs(a); err == nil {
				abs = append(abs, p)
			}
		}
		cmd.Env = append(cmd.Env, "LYWATCH_ALLOW="+strings.Join(abs, string(os.PathListSeparator)))
	}
	cmd.Env = append(cmd.Env, opts.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	l := &Launched{PID: cmd.Process.Pid, Macro: macro, Log: logPath}
	go cmd.Wait() // reap it if lywatch lives longer than KLayout
	return l, nil
}

// WaitReady asks c for its status until the server answers or ctx is done.
// exited, if not nil, reports that the launched process is gone.
func WaitReady(ctx context.Context, c *ipc.Client, exited func() bool) (*ipc.Status, error) {
	probe := *c
	probe.Timeout = 2 * time.Second
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := probe.Status(ctx)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, ipc.ErrNoServer) && ctx.Err() == nil {
			return nil, err
		}
		if exited != nil && exited() {
			return nil, fmt.Errorf("KLayout exited before its server answered on %s", probe.Address())
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no lywatch server on %s yet: %w", probe.Address(), ctx.Err())
		case <-tick.C:
		}
	}
}

// ProcessAlive reports whether pid runs (Unix; elsewhere it assumes so).
func ProcessAlive(pid int) bool {
	return (&Discovery{PID: pid}).Alive()
}
