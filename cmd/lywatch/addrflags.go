package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// EnvKLayout is the environment variable with KLayout's address for
// `lywatch push` and `lywatch klayout status` (LYWATCH_TARGET is the
// build's target name, never an address).
const EnvKLayout = "LYWATCH_KLAYOUT"

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

// Set adds one value.
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// ipcTargetFlags are the flags that say which KLayout to talk to, shared by
// push and klayout status.
type ipcTargetFlags struct {
	targets  stringList
	protocol *string
	timeout  *time.Duration
}

func addIPCTargetFlags(fs *flag.FlagSet, timeout time.Duration) *ipcTargetFlags {
	f := &ipcTargetFlags{
		protocol: fs.String("protocol", "lywatch", "wire protocol: lywatch, lyipc or klive"),
		timeout:  fs.Duration("timeout", timeout, "give up when KLayout has not answered in this time"),
	}
	fs.Var(&f.targets, "klayout", "KLayout's `HOST:PORT`, repeatable (default $"+EnvKLayout+", else the KLayout started for this project, else the only one running, else "+ipc.DefaultAddr+"; klive: "+ipc.DefaultKliveAddr+")")
	return f
}

// clients returns a client for each KLayout: those given, else the
// resolution the loop uses (lywatch protocol only).
func (f *ipcTargetFlags) clients() ([]*ipc.Client, error) {
	p, err := ipc.ParseProtocol(*f.protocol)
	if err != nil {
		return nil, err
	}
	addrs := []string(f.targets)
	if len(addrs) == 0 && os.Getenv(EnvKLayout) != "" {
		addrs = []string{os.Getenv(EnvKLayout)}
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("--klayout %q: want HOST:PORT", a)
		}
	}
	if len(addrs) == 0 {
		addrs = []string{""} // the protocol's default port
		if p == ipc.ProtoLywatch {
			addrs = klayout.Resolve(projectDir(), nil)
		}
	}
	out := make([]*ipc.Client, len(addrs))
	for i, a := range addrs {
		out[i] = &ipc.Client{Addr: a, Protocol: p, Timeout: *f.timeout}
	}
	return out, nil
}

// projectDir is the directory KLayout instances are named after by
// default: the project directory as every subcommand resolves it (the
// configuration file's, else the one the session recorded, else the
// current directory).
func projectDir() string {
	var f projectFlags
	if p, err := f.resolve(&env{stderr: discard{}}); err == nil {
		return p.Dir
	}
	cwd, _ := os.Getwd()
	return cwd
}

// discard is an io.Writer that keeps nothing.
type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// client returns the one KLayout to talk to (the first of clients).
func (f *ipcTargetFlags) client() (*ipc.Client, error) {
	cs, err := f.clients()
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// pusher returns a Pusher to every KLayout of clients, with no project
// root (KLayout may read the layout's own folder).
func (f *ipcTargetFlags) pusher() (*ipc.Pusher, error) {
	cs, err := f.clients()
	if err != nil {
		return nil, err
	}
	addrs := make([]string, len(cs))
	for i, c := range cs {
		addrs[i] = c.Address()
	}
	return ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return addrs }, Protocol: cs[0].Protocol, Timeout: *f.timeout}), nil
}
