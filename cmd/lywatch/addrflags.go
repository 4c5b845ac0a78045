package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/lywatch/lywatch/ipc"
)

// EnvKLayout is the environment variable with KLayout's address for
// `lywatch push` and `lywatch klayout status` (LYWATCH_TARGET is the
// build's target name, never an address).
const EnvKLayout = "LYWATCH_KLAYOUT"

// addrFlags are the flags that say which KLayout to talk to, shared by
// push and klayout status.
type addrFlags struct {
	addr     *string
	protocol *string
	timeout  *time.Duration
}

func addKLayoutFlags(fs *flag.FlagSet, timeout time.Duration) addrFlags {
	return addrFlags{
		addr:     fs.String("klayout", os.Getenv(EnvKLayout), "KLayout's `HOST:PORT` (default $"+EnvKLayout+", else "+ipc.DefaultAddr+"; klive: "+ipc.DefaultKliveAddr+")"),
		protocol: fs.String("protocol", "lywatch", "wire protocol: lywatch, lyipc or klive"),
		timeout:  fs.Duration("timeout", timeout, "give up when KLayout has not answered in this time"),
	}
}

func (f addrFlags) client() (*ipc.Client, error) {
	p, err := ipc.ParseProtocol(*f.protocol)
	if err != nil {
		return nil, err
	}
	addr := *f.addr
	if addr != "" {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("--klayout %q: want HOST:PORT", addr)
		}
	}
	return &ipc.Client{Addr: addr, Protocol: p, Timeout: *f.timeout}, nil
}
