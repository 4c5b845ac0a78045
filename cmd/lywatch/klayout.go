package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

const klayoutUsage = `Usage: lywatch klayout install|start|status|token [flags]

  install [--dir DIR]        install lywatch's server as an autorun macro
                             (~/.klayout/pymacros/lywatch_server.lym)
  start [--port N] [--lyipc] [--klive] [--allow DIR] [FILE]
                             start KLayout with the server (and FILE open)
  status [--target HOST:PORT] [--json]
                             what the server reports, or why none answers
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
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, klayoutUsage)
		return exitOK
	}
	fmt.Fprint(e.stderr, klayoutUsage)
	return e.errorf("klayout: unknown subcommand %q", args[0])
}

func klayoutFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("klayout "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
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

func runKLayoutStart(ctx context.Context, e *env, args []string) int {
	fs := klayoutFlags(e, "start")
	port := fs.Int("port", klayout.PortOf(ipc.DefaultAddr), "port for the server")
	bin := fs.String("klayout", "klayout", "the klayout binary")
	lyipc := fs.Bool("lyipc", false, "also answer lyipc's text commands (unauthenticated, as lyipc is)")
	klive := fs.Bool("klive", false, "also answer klive's requests (unauthenticated, as klive is)")
	var allow stringList
	fs.Var(&allow, "allow", "a folder the server may load layouts from and save images to, besides the project roots of authenticated clients (repeatable)")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the server to answer (0: do not wait)")
	files, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	addr := "127.0.0.1:" + strconv.Itoa(*port)
	c := &ipc.Client{Addr: addr, Timeout: 2 * time.Second}
	if st, err := c.Status(ctx); err == nil {
		fmt.Fprintf(e.stdout, "a lywatch server already answers on %s (%s, pid %d)\n", addr, st.KLayoutVersion, st.PID)
		for _, f := range files {
			if _, err := c.Push(ctx, f, ipc.PushOptions{}); err != nil {
				fmt.Fprintf(e.stderr, "lywatch: klayout start: %v\n", err)
				return exitFail
			}
		}
		return exitOK
	}
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(e.stderr, "lywatch: klayout start: no DISPLAY set; KLayout's window needs one (over ssh use -X, or run 'Xvfb :99 &' and DISPLAY=:99 for a headless one)")
	}
	if _, err := ipc.LoadToken(); err != nil {
		return e.errorf("klayout start: %v", err)
	}
	l, err := klayout.Launch(klayout.LaunchOptions{KLayout: *bin, Port: *port, Files: files, Lyipc: *lyipc, Klive: *klive, Allow: allow})
	if err != nil {
		return e.errorf("klayout start: %v", err)
	}
	fmt.Fprintf(e.stdout, "started KLayout (pid %d) with %s; its output goes to %s\n", l.PID, l.Macro, l.Log)
	if *wait <= 0 {
		return exitOK
	}
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	st, err := klayout.WaitReady(wctx, c, func() bool { return !klayout.ProcessAlive(l.PID) })
	if err != nil {
		fmt.Fprintf(e.stderr, "lywatch: klayout start: %v\n%s", err, whyNoServer(*port))
		if tail := klayoutLogTail(l.Log, 10); tail != "" {
			fmt.Fprintf(e.stderr, "last lines of %s:\n%s\n", l.Log, tail)
		}
		return exitFail
	}
	fmt.Fprintf(e.stdout, "lywatch server %s listening on %s in %s\n", st.ServerVersion, addr, st.KLayoutVersion)
	return exitOK
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

// Set adds one value.
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

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

func runKLayoutStatus(ctx context.Context, e *env, args []string) int {
	fs := klayoutFlags(e, "status")
	tf := addIPCTargetFlags(fs, 5*time.Second)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	noColor := fs.Bool("no-color", false, "no colours")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.errorf("klayout status: unexpected arguments %q", pos)
	}
	c, err := tf.client()
	if err != nil {
		return e.errorf("klayout status: %v", err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		why := ""
		if errors.Is(err, ipc.ErrNoServer) {
			why = whyNoServer(klayout.PortOf(c.Address()))
		}
		if *asJSON {
			writeJSON(e, map[string]any{"listening": false, "error": err.Error(), "why": strings.TrimSpace(why)})
			return exitFail
		}
		fmt.Fprintf(e.stderr, "lywatch: %v\n%s", err, why)
		return exitFail
	}
	if *asJSON {
		return writeJSON(e, st)
	}
	bold, dim := colors(e, *noColor)
	printKLayoutStatus(e, st, c.Address(), bold.Sprint, dim.Sprint)
	return exitOK
}

func printKLayoutStatus(e *env, st *ipc.Status, addr string, bold, dim func(...any) string) {
	w := e.stdout
	fmt.Fprintf(w, "%s on %s: %s, pid %d\n", bold("lywatch server "+st.ServerVersion), addr, st.KLayoutVersion, st.PID)
	if st.ServerVersion != "" && st.ServerVersion != klayout.ServerVersion() {
		fmt.Fprintf(w, "  %s\n", dim(fmt.Sprintf("this lywatch has server %s: run 'lywatch klayout install' and restart KLayout", klayout.ServerVersion())))
	}
	if st.Views == 0 {
		fmt.Fprintln(w, "  no layout open")
	} else {
		fmt.Fprintf(w, "  view %d of %d: %s, cell %s\n", st.CurrentView+1, st.Views, st.File, bold(st.Cell))
		if len(st.Box) == 4 {
			fmt.Fprintf(w, "  view box: (%.6g, %.6g) to (%.6g, %.6g) µm, hierarchy levels %d..%d\n", st.Box[0], st.Box[1], st.Box[2], st.Box[3], st.MinHier, st.MaxHier)
		}
		fmt.Fprintf(w, "  layers: %d visible", len(st.VisibleLayers))
		if len(st.HiddenLayers) > 0 {
			fmt.Fprintf(w, ", %d hidden (%s)", len(st.HiddenLayers), strings.Join(st.HiddenLayers, " "))
		}
		fmt.Fprintln(w)
	}
	if ll := st.LastLoad; ll != nil {
		ago := time.Since(time.Unix(0, int64(ll.Time*1e9))).Round(time.Second)
		fmt.Fprintf(w, "  %s\n", dim(fmt.Sprintf("last push: %s of %s in %.0f ms, %v ago (%d pushes)", ll.Type, ll.File, ll.LoadMS, ago, st.Loads)))
	}
	if st.FileWatcher {
		fmt.Fprintf(w, "  %s\n", dim("KLayout's 'check files for updates' is on: its prompt may block reloads"))
	}
}

// whyNoServer explains from the discovery files why nothing answers on port.
func whyNoServer(port int) string {
	ds, err := klayout.ReadDiscovery(port)
	if err != nil || len(ds) == 0 {
		return ""
	}
	var b strings.Builder
	for _, d := range ds {
		switch {
		case !d.Alive():
			fmt.Fprintf(&b, "  a KLayout (pid %d) ran the server on port %d but is gone (stale %s)\n", d.PID, d.Port, d.Path)
		case !d.Listening:
			fmt.Fprintf(&b, "  KLayout pid %d runs the lywatch server but it could not listen: %s\n", d.PID, d.Error)
		default:
			fmt.Fprintf(&b, "  KLayout pid %d says it listens on port %d but does not answer (busy, or a modal dialog open?)\n", d.PID, d.Port)
		}
	}
	return b.String()
}

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
