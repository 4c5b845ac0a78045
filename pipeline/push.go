package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lywatch/lywatch/ipc"
)

// Pusher shows a layout in KLayout. KLayout returns the one over lywatch's
// client; tests give fakes.
type Pusher interface {
	// Push shows the layout at path. The note says what KLayout did
	// ("reload", "open"), for the summary line.
	Push(ctx context.Context, path string) (note string, err error)
}

// pushStage shows a good build's layout (or the cached one) in KLayout.
type pushStage struct{ p *Pipeline }

func (pushStage) name() string { return "push" }

func (s pushStage) run(ctx context.Context, b *built) (string, error) {
	if s.p.push == nil || b.target.Output == "" {
		return "", errQuiet
	}
	return s.p.push.Push(ctx, b.target.Output)
}

// KLayout returns a Pusher into the KLayout servers at addrs (none: the
// protocol's default address), each sent every layout. With nothing
// listening at an address it says so once through logf, with the remedy,
// and the push counts as done: lywatch keeps watching.
//
// A push is given up on after timeout (a KLayout that accepts and never
// answers does not hold the loop), and a push still under way when the
// next one starts is cancelled: only the newest layout is worth showing.
func KLayout(addrs []string, proto ipc.Protocol, timeout time.Duration, logf func(string, ...any)) Pusher {
	if len(addrs) == 0 {
		addrs = []string{""}
	}
	k := &klayout{logf: logf}
	for _, a := range addrs {
		k.clients = append(k.clients, &ipc.Client{Addr: a, Protocol: proto, Timeout: timeout})
	}
	k.told = make([]bool, len(k.clients))
	return k
}

type klayout struct {
	clients []*ipc.Client
	logf    func(string, ...any)
	mu      sync.Mutex
	told    []bool             // "no KLayout listening" said for this client
	cancel  context.CancelFunc // the push under way
}

func (k *klayout) Push(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k.mu.Lock()
	if k.cancel != nil {
		k.cancel() // a newer layout: the older push is not worth finishing
	}
	k.cancel = cancel
	k.mu.Unlock()
	var notes []string
	var errs []error
	for i, c := range k.clients {
		note, err := k.pushOne(ctx, i, c, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		notes = append(notes, note)
	}
	note := ""
	for i, n := range notes {
		if i > 0 {
			note += ", "
		}
		note += n
	}
	return note, errors.Join(errs...)
}

func (k *klayout) pushOne(ctx context.Context, i int, c *ipc.Client, path string) (string, error) {
	res, err := c.Push(ctx, path, ipc.PushOptions{})
	k.mu.Lock()
	defer k.mu.Unlock()
	if errors.Is(err, ipc.ErrNoServer) {
		if !k.told[i] {
			k.told[i] = true
			k.logf("no KLayout listening on %s, run 'lywatch klayout start'", c.Address())
		}
		return "no KLayout", nil
	}
	if err != nil {
		if len(k.clients) > 1 {
			return "", fmt.Errorf("%s: %w", c.Address(), err)
		}
		return "", err
	}
	k.told[i] = false
	return res.Type, nil
}
