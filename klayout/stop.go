package klayout

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/lywatch/lywatch/ipc"
)

// Stopped says which KLayout a Stop ended.
type Stopped struct {
	PID      int    `json:"pid"`
	Instance string `json:"instance"`
}

// Stop asks the server at c to end its KLayout (KLayout ignores SIGTERM,
// so the server quits on an authenticated request) and waits until the
// process is gone and the port closed, or ctx is done. Without force a
// KLayout holding edits made in it refuses (ipc.CodeDirty).
func Stop(ctx context.Context, c *ipc.Client, force bool) (*Stopped, error) {
	var s Stopped
	if err := c.Call(ctx, ipc.CmdQuit, map[string]any{"force": force}, &s); err != nil {
		return nil, err
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if !ProcessAlive(s.PID) && !answers(c.Address()) {
			return &s, nil
		}
		select {
		case <-ctx.Done():
			return &s, fmt.Errorf("KLayout (pid %d) asked to quit but still runs: %w", s.PID, ctx.Err())
		case <-tick.C:
		}
	}
}

func answers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
