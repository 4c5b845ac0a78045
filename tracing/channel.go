package tracing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Environment variables a traced build gets.
const (
	// EnvDir names the cycle's trace folder; the build writes into its
	// subfolder named after LYWATCH_TARGET ("default" for the unnamed
	// target).
	EnvDir = "LYWATCH_TRACE"
	// EnvFrames and EnvBytes are the bounds of one build's trace, which
	// lywatch_trace keeps to.
	EnvFrames = "LYWATCH_TRACE_FRAMES"
	EnvBytes  = "LYWATCH_TRACE_BYTES"
	// EnvShowFunction is kfactory's setting for the function its show()
	// calls; lywatch sets it to ShowFunction unless it is set already.
	EnvShowFunction = "KFACTORY_SHOW_FUNCTION"
	// ShowFunction is lywatch_trace's show function.
	ShowFunction = ModuleName + ".show"
)

// Defaults of Limits.
const (
	DefaultFrames       = 200
	DefaultBytes  int64 = 64 << 20
)

// Limits bound one build's trace. Frames past them are counted, not kept.
type Limits struct {
	// Frames is the most frames kept (0: DefaultFrames).
	Frames int
	// Bytes bounds the total size of the frames kept (0: DefaultBytes).
	Bytes int64
}

func (l Limits) withDefaults() Limits {
	if l.Frames <= 0 {
		l.Frames = DefaultFrames
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultBytes
	}
	return l
}

// Channel is the trace folder of one lywatch, with the Python module
// beside it. Its methods are safe for concurrent use.
type Channel struct {
	dir    string
	python string
	limits Limits

	mu  sync.Mutex
	cur *Cycle
	// retiring counts the ended cycles still being torn down.
	retiring sync.WaitGroup
}

// Open makes a channel in a new temporary folder, outside every project
// (no watcher sees the frames), and writes the Python module into it.
func Open(l Limits) (*Channel, error) {
	dir, err := os.MkdirTemp("", "lywatch-trace-")
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	c := &Channel{dir: dir, python: filepath.Join(dir, "python"), limits: l.withDefaults()}
	if err := WriteModule(c.python); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// Dir returns the channel's folder.
func (c *Channel) Dir() string { return c.dir }

// PythonPath returns the folder holding the module lywatch_trace.
func (c *Channel) PythonPath() string { return c.python }

// Limits returns the bounds of each build's trace.
func (c *Channel) Limits() Limits { return c.limits }

// Close ends the current cycle and removes the channel's folder.
func (c *Channel) Close() error {
	c.mu.Lock()
	cur := c.cur
	c.cur = nil
	c.mu.Unlock()
	if cur != nil {
		cur.stop()
	}
	c.retiring.Wait()
	return os.RemoveAll(c.dir)
}

// End ends the current cycle, if any, and removes its folder, in the
// background: call it when the builds of the cycle are done, so that the
// next Begin, on the path from a save to its build, has nothing to tear
// down.
func (c *Channel) End() {
	c.mu.Lock()
	cur := c.cur
	c.cur = nil
	c.mu.Unlock()
	c.retire(cur)
}

// retire stops cy, if any, and removes its folder in the background;
// Close waits for it.
func (c *Channel) retire(cy *Cycle) {
	if cy == nil {
		return
	}
	c.retiring.Add(1)
	go func() {
		defer c.retiring.Done()
		cy.stop()
		os.RemoveAll(cy.dir)
	}()
}

// Begin starts cycle n: a folder for each target key, the environment
// that names it (to add to every build of the cycle) and a Cycle that
// follows what arrives, handing the newest frame of each target to show
// (nil: none) while the builds run. The previous cycle ends and its
// folder, with frames nobody took, is removed. getenv reads the
// environment the builds inherit (nil: os.Getenv).
func (c *Channel) Begin(ctx context.Context, n int, targets []string, show func(context.Context, Frame), getenv func(string) string) (*Cycle, []string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c.mu.Lock()
	prev := c.cur
	c.cur = nil
	c.mu.Unlock()
	// Off the path from a save to its build: the next cycle's folder is
	// another, so the old one can go while the build starts.
	c.retire(prev)
	dir := filepath.Join(c.dir, "cycles", strconv.Itoa(n))
	for _, t := range targets {
		if !filepath.IsLocal(t) || filepath.Base(t) != t {
			continue // lywatch_trace makes the folder; it is not followed live
		}
		if err := os.MkdirAll(filepath.Join(dir, t), 0o700); err != nil {
			return nil, nil, fmt.Errorf("tracing: %w", err)
		}
	}
	cy := newCycle(ctx, dir, targets, c.limits, show)
	c.mu.Lock()
	c.cur = cy
	c.mu.Unlock()
	env := []string{
		EnvDir + "=" + dir,
		EnvFrames + "=" + strconv.Itoa(c.limits.Frames),
		EnvBytes + "=" + strconv.FormatInt(c.limits.Bytes, 10),
	}
	env = append(env, c.ModuleEnv(getenv)...)
	if getenv(EnvShowFunction) == "" {
		env = append(env, EnvShowFunction+"="+ShowFunction)
	}
	return cy, env, nil
}

// ModuleEnv is the environment that puts the module on a build's
// PYTHONPATH (before the one getenv reads), with no trace folder: a
// build that imports lywatch_trace runs, and its frames do nothing.
func (c *Channel) ModuleEnv(getenv func(string) string) []string {
	if getenv == nil {
		getenv = os.Getenv
	}
	pypath := c.python
	if old := getenv("PYTHONPATH"); old != "" {
		pypath += string(os.PathListSeparator) + old
	}
	return []string{"PYTHONPATH=" + pypath}
}
