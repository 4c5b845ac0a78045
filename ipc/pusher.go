package ipc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lywatch/lywatch/gds"
)

// ErrSuperseded is the cause of a push cancelled because the next one
// started (context.Cause of the cancelled push's context).
var ErrSuperseded = errors.New("push superseded by a newer one")

// Layout is one layout to show, as the pipeline holds it after a good
// build: the bytes it read and hashed, so that what is shown is what was
// hashed.
type Layout struct {
	// Path is the output file, absolute. KLayout on this machine reloads
	// it; elsewhere it names the layout (its base name is shown).
	Path string
	// Data is the layout's bytes (GDSII, maybe gzip-compressed). Nil: read
	// from Path when the bytes must travel.
	Data []byte
	// Cells are Data's per-cell hashes (gds.Library.Hashes). With them, the
	// next push to the same view sends only the new and changed cells.
	Cells map[string]gds.CellHash
	// Top is the layout's top cell, shown when a view opens.
	Top string
	// LayerProperties is a .lyp file, applied when a view opens and kept on
	// reload ("" for KLayout's defaults).
	LayerProperties string
	// Factories names the factory of a cell where it is known (kfactory's
	// function_name, or the graph's rule), to follow a renamed cell.
	// Optional; the server falls back on the naming rule.
	Factories map[string]string
	// Activate makes the layout's view the current one, even when the
	// push only reloads it (the layout that ends a traced build, whose
	// frames opened a view of their own; a replay).
	Activate bool
}

// PusherOptions configures a Pusher.
type PusherOptions struct {
	// Targets returns the addresses to push to, asked again before each
	// push and probe (so an instance that appears is found); nil pushes to
	// DefaultAddr.
	Targets func() []string
	// Protocol is the wire protocol (lywatch's by default).
	Protocol Protocol
	// Timeout bounds each push to each target (DefaultTimeout if zero).
	Timeout time.Duration
	// Token and Root are sent with each request (see Client).
	Token, Root string
	// Bytes says when the layout itself travels in the message instead of
	// its path: BytesAuto (the default) when the address is not loopback.
	Bytes BytesMode
}

// BytesMode says when a push carries the layout's bytes.
type BytesMode int

// When the layout's bytes travel.
const (
	BytesAuto   BytesMode = iota // when the address is not loopback, or KLayout could not read the path sent
	BytesAlways                  // always: KLayout cannot see the file even on this machine
	BytesNever                   // never: KLayout reads the path
)

// ParseBytesMode turns "auto", "always" or "never" into a BytesMode.
func ParseBytesMode(s string) (BytesMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return BytesAuto, nil
	case "always", "yes", "true":
		return BytesAlways, nil
	case "never", "no", "false":
		return BytesNever, nil
	}
	return 0, fmt.Errorf("unknown bytes mode %q (want auto, always or never)", s)
}

func (m BytesMode) send(addr string) bool {
	switch m {
	case BytesAlways:
		return true
	case BytesNever:
		return false
	}
	return !IsLoopback(addr)
}

// Pusher pushes each new layout to every target, one push at a time: a
// push still running when the next starts is cancelled (its error's cause is
// ErrSuperseded), so a KLayout that accepts and never replies delays the
// loop by one timeout at most, and never past the next edit. Safe for
// concurrent use.
type Pusher struct {
	opts PusherOptions

	mu     sync.Mutex
	cancel context.CancelCauseFunc // of the push running, if any
	gen    uint64                  // counts pushes begun
	seen   map[string]string       // address -> instance of its last good push
	// facts holds the factories of each path's last layout: a push names
	// the factories of the cells it removed, too.
	facts map[string]map[string]string
	// states holds, per KLayout and file, what its last good push left
	// there, for the next push to send only what changed.
	states map[stateKey]*pushedState
	// blind holds the loopback addresses whose KLayout could not read a
	// path lywatch sent (a container's, a tunnel's end): BytesAuto sends
	// them the bytes.
	blind map[string]bool
}

// NewPusher returns a Pusher.
func NewPusher(opts PusherOptions) *Pusher {
	return &Pusher{opts: opts}
}

func (p *Pusher) targets() []string {
	if p.opts.Targets != nil {
		if t := p.opts.Targets(); len(t) > 0 {
			return t
		}
	}
	w, err := p.opts.Protocol.wire()
	if err != nil {
		return []string{DefaultAddr}
	}
	return []string{w.defaultAddr()}
}

func (p *Pusher) client(addr string) *Client {
	return &Client{Addr: addr, Protocol: p.opts.Protocol, Timeout: p.opts.Timeout, Token: p.opts.Token, Root: p.opts.Root}
}

// begin cancels the push running, if any, and returns the context of the
// new one and its end.
func (p *Pusher) begin(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	p.mu.Lock()
	if p.cancel != nil {
		p.cancel(ErrSuperseded)
	}
	p.cancel = cancel
	p.gen++
	gen := p.gen
	p.mu.Unlock()
	return ctx, func() {
		p.mu.Lock()
		if p.gen == gen {
			p.cancel = nil
		}
		p.mu.Unlock()
		cancel(nil)
	}
}

// Push shows l in every target, all at once, and returns what each did; the
// error is Report.Err's. A push still running is cancelled first.
func (p *Pusher) Push(ctx context.Context, l *Layout) (*Report, error) {
	ctx, end := p.begin(ctx)
	defer end()
	addrs := p.targets()
	opt, err := p.options(l)
	if err != nil {
		return nil, err
	}
	rep := &Report{Targets: make([]TargetReport, len(addrs))}
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Targets[i] = p.pushOne(ctx, addr, l, opt)
		}()
	}
	wg.Wait()
	p.mu.Lock()
	if p.facts == nil {
		p.facts = map[string]map[string]string{}
	}
	p.facts[l.Path] = l.Factories
	p.mu.Unlock()
	return rep, rep.Err()
}

// options are the push options every target gets for l: the layer
// properties' text and the factories of the cells of l and of the layout
// before it (so that a renamed cell's old and new names both have theirs).
func (p *Pusher) options(l *Layout) (PushOptions, error) {
	opt := PushOptions{Activate: l.Activate}
	if l.LayerProperties != "" {
		b, err := os.ReadFile(l.LayerProperties)
		if err != nil {
			return opt, fmt.Errorf("layer properties: %w", err)
		}
		opt.LayerProperties = string(b)
	}
	p.mu.Lock()
	prev := p.facts[l.Path]
	p.mu.Unlock()
	if len(l.Factories)+len(prev) > 0 {
		opt.Factories = make(map[string]string, len(l.Factories)+len(prev))
		for _, m := range []map[string]string{prev, l.Factories} {
			for k, v := range m {
				opt.Factories[k] = v
			}
		}
	}
	return opt, nil
}

// Note shows a one-line note in every target's status bar (a failed build,
// say) while the last good layout stays; the next push clears it.
func (p *Pusher) Note(ctx context.Context, text string) error {
	var errs []error
	for _, addr := range p.targets() {
		if err := p.client(addr).Note(ctx, text, 0); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ShowRDB shows the report database at path in every target's current
// view (KLayout's marker browser), replacing the one lywatch showed there
// before. The error joins the targets' errors.
func (p *Pusher) ShowRDB(ctx context.Context, path string) ([]*RDBInfo, error) {
	var out []*RDBInfo
	var errs []error
	for _, addr := range p.targets() {
		info, err := p.client(addr).ShowRDB(ctx, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, info)
	}
	return out, errors.Join(errs...)
}

func (p *Pusher) pushOne(ctx context.Context, addr string, l *Layout, opt PushOptions) (t TargetReport) {
	c := p.client(addr)
	t.Addr = c.Address()
	start := time.Now()
	defer func() { t.Elapsed = time.Since(start) }()
	lywatch := p.opts.Protocol == ProtoLywatch
	copyMode := lywatch && (p.opts.Bytes.send(t.Addr) || (p.opts.Bytes == BytesAuto && p.isBlind(t.Addr)))
	key := stateKey{addr: t.Addr, path: l.Path}
	data := l.Data
	if data == nil && (copyMode || (lywatch && l.Cells != nil && p.state(key) != nil)) {
		var err error
		if data, err = os.ReadFile(l.Path); err != nil {
			t.Err = fmt.Errorf("push %s to %s: %w", l.Path, t.Addr, err)
			return t
		}
	}
	if st := p.state(key); lywatch && st != nil && st.copy == copyMode && l.Cells != nil {
		done, fallback := p.pushPartial(ctx, c, l, data, st, opt, &t)
		if done {
			return t
		}
		t.Fallback = fallback
	}
	if copyMode {
		opt.Data = data
	}
	res, err := c.Push(ctx, l.Path, opt)
	var se *ServerError
	if lywatch && !copyMode && p.opts.Bytes == BytesAuto && errors.As(err, &se) && se.Code == CodeNotAllowed {
		// This KLayout cannot read the path (another file system behind a
		// loopback port): send the layout itself, now and from now on.
		var rerr error
		if data == nil {
			data, rerr = os.ReadFile(l.Path)
		}
		if rerr == nil {
			p.setBlind(t.Addr)
			opt.Data, copyMode = data, true
			res, err = c.Push(ctx, l.Path, opt)
		}
	}
	if err != nil {
		p.forget(key)
		t.Err = err
		return t
	}
	p.record(&t, key, res, l, copyMode)
	return t
}

func (p *Pusher) isBlind(addr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blind[addr]
}

func (p *Pusher) setBlind(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blind == nil {
		p.blind = map[string]bool{}
	}
	p.blind[addr] = true
}

func (p *Pusher) saw(addr, instance string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]string{}
	}
	p.seen[addr] = instance
}

// Probe pings every target (lywatch protocol; about a millisecond each)
// and returns the addresses whose KLayout has not had a good push from this
// Pusher: a KLayout restarted since (its instance changed), one started
// for the project since, or one that never got a push. The loop pushes the
// last good layout to them at once (Push pushes to every target; those
// already showing it cost nothing when Layout.Cells is given: the push is
// "none"). What the Pusher knew of a restarted KLayout is forgotten, so
// that push sends the whole layout.
func (p *Pusher) Probe(ctx context.Context) []string {
	if p.opts.Protocol != ProtoLywatch {
		return nil
	}
	var out []string
	for _, addr := range p.targets() {
		c := p.client(addr)
		c.Timeout = min(c.Timeout, time.Second)
		if c.Timeout <= 0 {
			c.Timeout = time.Second
		}
		var pong struct {
			Instance string `json:"instance"`
		}
		if err := c.Call(ctx, CmdPing, nil, &pong); err != nil {
			continue
		}
		p.mu.Lock()
		last, ok := p.seen[c.Address()]
		if !ok || last != pong.Instance {
			out = append(out, c.Address())
			for k := range p.states { // what the KLayout before showed is gone
				if k.addr == c.Address() {
					delete(p.states, k)
				}
			}
		}
		p.mu.Unlock()
	}
	return out
}
