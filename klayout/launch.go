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
	KLayout string // the klayout binary; "klayout" from PATH if empty
	// Port is the server's port: $LYWATCH_PORT, else 11078, if 0. Unless FixedPort,
	// a taken port makes the server take a free one (see the discovery file).
	Port      int
	FixedPort bool
	// Name is the instance's name (the project directory, by convention),
	// written into its discovery file for Resolve.
	Name string
	Env  []string // more environment variables (e.g. DISPLAY=:99)
	Dir  string   // where the macro and the log go; DiscoveryDir() if empty
	// Lyipc and Klive switch on the server's unauthenticated lyipc and
	// klive compatibility.
	Lyipc, Klive bool
	// Allow lists folders the server may read layouts from and write
	// images to, besides the project roots authenticated clients send.
	Allow []string
	// Listen is the address the server binds (loopback if empty).
	Listen string
}

// Launched is a KLayout started by Launch.
type Launched struct {
	PID   int
	Macro string // the extracted server macro
	Log   string // KLayout's output
}

// Launch starts `klayout -e -rm lywatch_server.py` detached from lywatch
// (its own session, output to a log file) and returns at once; WaitStarted
// waits for its discovery file, WaitReady for its answer. No layout is given
// on KLayout's command line: push them once it answers, so they open as
// pushes do. The user's own KLayout settings are used; the server hides
// KLayout's start-up tips (LYWATCH_LAUNCHED) and turns its file watcher
// off while it runs, and puts both back when it stops, so the settings
// KLayout saves are the user's.
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
	logf, err := os.CreateTemp(dir, "klayout-start-*.log")
	if err != nil {
		return nil, fmt.Errorf("klayout log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(path, "-e", "-rm", macro)
	cmd.Env = append(os.Environ(), launchEnv(opts)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		os.Remove(logf.Name())
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	l := &Launched{PID: cmd.Process.Pid, Macro: macro, Log: filepath.Join(dir, "klayout-"+strconv.Itoa(cmd.Process.Pid)+".log")}
	if err := os.Rename(logf.Name(), l.Log); err != nil {
		l.Log = logf.Name()
	}
	go cmd.Wait() // reap it if lywatch lives longer than KLayout
	return l, nil
}

func launchEnv(opts LaunchOptions) []string {
	port := opts.Port
	if port == 0 {
		port, _ = strconv.Atoi(os.Getenv("LYWATCH_PORT"))
	}
	if port <= 0 {
		port = PortOf(ipc.DefaultAddr)
	}
	env := []string{"LYWATCH_PORT=" + strconv.Itoa(port), "LYWATCH_LAUNCHED=1", "LYWATCH_NAME=" + opts.Name}
	if !opts.FixedPort {
		env = append(env, "LYWATCH_PORT_AUTO=1")
	}
	if opts.Lyipc {
		env = append(env, "LYWATCH_LYIPC=1")
	}
	if opts.Klive {
		env = append(env, "LYWATCH_KLIVE=1")
	}
	if opts.Listen != "" {
		env = append(env, "LYWATCH_LISTEN="+opts.Listen)
	}
	if len(opts.Allow) > 0 {
		var abs []string
		for _, a := range opts.Allow {
			if p, err := filepath.Abs(a); err == nil {
				abs = append(abs, p)
			}
		}
		env = append(env, "LYWATCH_ALLOW="+strings.Join(abs, string(os.PathListSeparator)))
	}
	return append(env, opts.Env...)
}

// WaitStarted waits until the server in KLayout process pid has written its
// discovery file (listening or not: see Discovery.Error), or ctx is done.
func WaitStarted(ctx context.Context, pid int) (*Discovery, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		live, _, err := List()
		if err != nil {
			return nil, err
		}
		for _, d := range live {
			if d.PID == pid {
				return d, nil
			}
		}
		if !ProcessAlive(pid) {
			return nil, fmt.Errorf("KLayout (pid %d) exited before its server started", pid)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("KLayout (pid %d) has not started its server: %w", pid, ctx.Err())
		case <-tick.C:
		}
	}
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
