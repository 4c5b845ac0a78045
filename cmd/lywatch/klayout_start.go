package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// startFlags are the flags of lywatch klayout start.
type startFlags struct {
	port         *int
	bin, name    *string
	listen       *string
	lyipc, klive *bool
	allow        stringList
	wait         *time.Duration
}

func addStartFlags(fs *flag.FlagSet) *startFlags {
	f := &startFlags{
		port:   fs.Int("port", 0, "port for the server (default $LYWATCH_PORT or 11078, or a free one when that is taken)"),
		bin:    fs.String("klayout", "klayout", "the klayout binary"),
		name:   fs.String("name", "", "the instance's name, which the loop pushes to (default: the project directory)"),
		listen: fs.String("listen", "", "`ADDR` the server binds (default 127.0.0.1; another address needs the token too)"),
		lyipc:  fs.Bool("lyipc", false, "also answer lyipc's text commands (unauthenticated, as lyipc is)"),
		klive:  fs.Bool("klive", false, "also answer klive's requests (unauthenticated, as klive is)"),
		wait:   fs.Duration("wait", 30*time.Second, "how long to wait for the server to answer (0: do not wait)"),
	}
	fs.Var(&f.allow, "allow", "a folder the server may load layouts from and save images to, besides the project roots of authenticated clients (repeatable)")
	return f
}

func runKLayoutStart(ctx context.Context, e *env, args []string) int {
	fs := klayoutFlags(e, "start")
	f := addStartFlags(fs)
	files, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	root := projectDir()
	name := *f.name
	if name == "" {
		name = root
	}
	if c, st := runningFor(ctx, name, *f.port); c != nil {
		fmt.Fprintf(e.stdout, "a lywatch server already answers on %s (%s, pid %d, name %q)\n", c.Address(), st.KLayoutVersion, st.PID, st.Name)
		return pushFiles(ctx, e, c, files, root)
	}
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(e.stderr, "lywatch: klayout start: no DISPLAY set; KLayout's window needs one (over ssh use -X, or run 'Xvfb :99 &' and DISPLAY=:99 for a headless one)")
	}
	if _, err := ipc.LoadToken(); err != nil {
		return e.errorf("klayout start: %v", err)
	}
	l, err := klayout.Launch(klayout.LaunchOptions{KLayout: *f.bin, Port: *f.port, FixedPort: *f.port != 0, Name: name,
		Lyipc: *f.lyipc, Klive: *f.klive, Allow: f.allow, Listen: *f.listen})
	if err != nil {
		return e.errorf("klayout start: %v", err)
	}
	fmt.Fprintf(e.stdout, "started KLayout (pid %d) with %s; its output goes to %s\n", l.PID, l.Macro, l.Log)
	if *f.wait <= 0 {
		return exitOK
	}
	wctx, cancel := context.WithTimeout(ctx, *f.wait)
	defer cancel()
	fail := func(err error) int {
		fmt.Fprintf(e.stderr, "lywatch: klayout start: %v\n", err)
		if tail := klayoutLogTail(l.Log, 10); tail != "" {
			fmt.Fprintf(e.stderr, "last lines of %s:\n%s\n", l.Log, tail)
		}
		return exitFail
	}
	d, err := klayout.WaitStarted(wctx, l.PID)
	if err != nil {
		return fail(err)
	}
	if !d.Listening {
		return fail(fmt.Errorf("the server did not listen: %s", d.Error))
	}
	c := &ipc.Client{Addr: d.Addr(), Timeout: 10 * time.Second, Root: root}
	st, err := klayout.WaitReady(wctx, c, func() bool { return !klayout.ProcessAlive(l.PID) })
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(e.stdout, "lywatch server %s listening on %s in %s, name %q\n", st.ServerVersion, d.Addr(), st.KLayoutVersion, name)
	return pushFiles(ctx, e, c, files, root)
}

// runningFor returns a client of the server already answering for name
// (or on port, when given) and its status, or nil.
func runningFor(ctx context.Context, name string, port int) (*ipc.Client, *ipc.Status) {
	addrs := klayout.Resolve(name, nil)
	if port != 0 {
		addrs = []string{fmt.Sprintf("127.0.0.1:%d", port)}
	}
	for _, a := range addrs {
		c := &ipc.Client{Addr: a, Timeout: 2 * time.Second}
		st, err := c.Status(ctx)
		if err != nil || (port == 0 && st.Name != name) {
			continue
		}
		return c, st
	}
	return nil, nil
}

// pushFiles opens files in KLayout as the loop's pushes do.
func pushFiles(ctx context.Context, e *env, c *ipc.Client, files []string, root string) int {
	for _, f := range files {
		fc := *c
		fc.Timeout = ipc.DefaultTimeout
		if abs, err := filepath.Abs(f); err == nil && underDir(abs, root) {
			fc.Root = root
		}
		res, err := fc.Push(ctx, f, ipc.PushOptions{})
		if err != nil {
			fmt.Fprintf(e.stderr, "lywatch: klayout start: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(e.stdout, "%s %s on %s\n", res.Type, res.File, c.Address())
	}
	return exitOK
}

// within reports whether path is dir or below it.
func underDir(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
