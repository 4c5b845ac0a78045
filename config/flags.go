package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/lywatch/lywatch/internal/flagusage"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// flags holds the values of the command line before they are laid over
// the file's settings.
type flags struct {
	watch, include, exclude, entry listFlag
	klayout                        listFlag
	debounce, pollInterval         time.Duration
	pushTimeout                    time.Duration
	onBusy, output, config         string
	klayoutName, layerProps        string
	protocol, sessionDir           string
	granularity                    string
	poll, clear, once, noInitial   bool
	noColor, verbose, push, noPush bool
	noConfig, noSession, json      bool
	allowOutside, warm             bool
	force, showDiff                bool
	traceFrames, jobs              int
	traceBytes                     int64
}

// newFlagSet returns the flag set of the live loop, writing usage to w. The
// values land in the returned flags.
func newFlagSet(w io.Writer) (*flag.FlagSet, *flags) {
	fs := flag.NewFlagSet("lywatch", flag.ContinueOnError)
	fs.SetOutput(w)
	f := &flags{}
	fs.Var(&f.watch, "watch", "watch `DIR` (repeatable; default: the current directory)")
	fs.Var(&f.include, "include", "watch files matching `GLOB` (repeatable; default **/*.py)")
	fs.Var(&f.entry, "entry", "an entry `FILE` of the build: only edits it depends on rebuild (repeatable; .py arguments of CMD count too)")
	fs.Var(&f.exclude, "exclude", "ignore files matching `GLOB` (repeatable)")
	fs.DurationVar(&f.debounce, "debounce", DefaultDebounce, "quiet window after the last change of a burst")
	fs.StringVar(&f.onBusy, "on-busy", "restart", "a change during a build: `restart` it or queue one more")
	fs.BoolVar(&f.poll, "poll", false, "poll the files instead of using inotify")
	fs.DurationVar(&f.pollInterval, "poll-interval", DefaultPollInterval, "period of --poll")
	fs.StringVar(&f.output, "output", "", "the layout `PATH` the build writes (never watched; pushed after a good build)")
	fs.BoolVar(&f.clear, "clear", false, "clear the terminal before each build")
	fs.BoolVar(&f.once, "once", false, "run one cycle and exit with its status: serve each target the session holds a current layout of, build the others")
	fs.BoolVar(&f.force, "force", false, "with --once: build every target, even those the session serves")
	fs.BoolVar(&f.showDiff, "show-diff", false, "after each build, show in KLayout what changed since the previous good layout (an XOR as a report database)")
	fs.BoolVar(&f.warm, "warm", false, "keep each target's python3 or klayout -b between builds (every target; warm = true in the configuration for some)")
	fs.IntVar(&f.jobs, "jobs", 0, "build at most `N` targets at once (default: one per CPU)")
	fs.BoolVar(&f.noInitial, "no-initial", false, "do not build at start-up, wait for a change")
	fs.BoolVar(&f.noColor, "no-color", false, "no colour (NO_COLOR is honoured too)")
	fs.BoolVar(&f.verbose, "v", false, "print diagnostics")
	fs.BoolVar(&f.json, "json", false, "print a JSON report of each cycle on stdout, one per line (everything else goes to stderr)")
	fs.StringVar(&f.config, "config", "", "read settings from `FILE` (default: lywatch.toml or pyproject.toml [tool.lywatch], searched upwards)")
	fs.BoolVar(&f.noConfig, "no-config", false, "read no configuration file")
	fs.BoolVar(&f.push, "push", false, "push each good layout into KLayout (the default)")
	fs.BoolVar(&f.noPush, "no-push", false, "do not push into KLayout")
	fs.Var(&f.klayout, "klayout", "`ADDR` of KLayout's lywatch server (repeatable: pushes go to each; default the KLayout of this project, else "+DefaultKLayout+")")
	fs.DurationVar(&f.pushTimeout, "push-timeout", DefaultPushTimeout, "give up on a push KLayout has not answered in this time (an edit stops it sooner)")
	fs.StringVar(&f.klayoutName, "klayout-name", "", "push to the KLayout started with this `NAME` (default: the project directory's)")
	fs.StringVar(&f.layerProps, "layer-properties", "", "the PDK's layer properties `FILE` (.lyp), applied when KLayout opens a view")
	fs.StringVar(&f.protocol, "protocol", DefaultProtocol, "push protocol: lywatch, lyipc or klive")
	fs.StringVar(&f.sessionDir, "session-dir", "", "where the session is kept (default: $LYWATCH_SESSION_DIR, else build/session under the git root)")
	fs.StringVar(&f.granularity, "granularity", DefaultGranularity, "what an edit invalidates: `function` (what it touched) or file (kfactory's whole file)")
	fs.BoolVar(&f.noSession, "no-session", false, "keep no session: no restore at start, nothing saved")
	fs.IntVar(&f.traceFrames, "trace-frames", DefaultTraceFrames, "the most frames one build may trace through lywatch_trace (0: no tracing)")
	fs.Int64Var(&f.traceBytes, "trace-bytes", DefaultTraceBytes, "the most bytes one build's traced frames may take")
	fs.BoolVar(&f.allowOutside, "allow-outside", false, "let output and session_dir of the configuration file lie outside the project root")
	return fs, f
}

// Parse parses the live loop's command line (flags, then an optional "--"
// and the build command), reads the configuration file (--config, or the
// one Find finds from dir) and lays the flags that were given over it.
// Usage and flag errors go to w; -h returns flag.ErrHelp.
func Parse(args []string, dir string, w io.Writer) (*Config, error) {
	fs, f := newFlagSet(w)
	fs.Usage = func() { usage(fs, w) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	c, err := load(dir, f.config, f.noConfig, f.allowOutside)
	if err != nil {
		return nil, err
	}
	f.apply(c, set, dir)
	if rest := fs.Args(); len(rest) > 0 {
		if used := len(args) - len(rest); used == 0 || args[used-1] != "--" {
			return nil, &UnexpectedArgError{Arg: rest[0]}
		}
		c.Command, c.CommandFromFlags = rest, true
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	if len(c.Command) == 0 && len(c.Targets) == 0 {
		return nil, errors.New("no build command: give one after -- (lywatch [flags] -- CMD ARGS...) or set command in the configuration")
	}
	return c, nil
}

// Load reads the settings that apply in dir, for the subcommands that
// are not the live loop: the configuration file path (Find's from dir
// when path is "", none with noConfig) over the defaults, with the project
// directory and the watch roots filled in as Parse fills them.
func Load(dir, path string, noConfig bool) (*Config, error) {
	c, err := load(dir, path, noConfig, false)
	if err != nil {
		return nil, err
	}
	c.fill(dir)
	return c, nil
}

func load(dir, path string, noConfig, allowOutside bool) (*Config, error) {
	c := Default()
	c.AllowOutside = allowOutside
	if path == "" && !noConfig {
		p, skipped, err := Find(dir)
		if err != nil {
			return nil, err
		}
		path, c.Skipped = p, skipped
	}
	if path != "" {
		if err := c.LoadFile(path); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// UnexpectedArgError is a word on the command line that is neither a flag
// nor after "--": a mistyped subcommand, or a build command missing its
// "--". The build command always follows "--".
type UnexpectedArgError struct {
	Arg string
}

func (e *UnexpectedArgError) Error() string {
	return fmt.Sprintf("unexpected argument %q: the build command goes after -- (lywatch [flags] -- CMD ARGS...)", e.Arg)
}

// apply lays the flags that were given over c; relative paths are
// relative to dir.
func (f *flags) apply(c *Config, set map[string]bool, dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if set["watch"] {
		c.Watch = nil
		for _, w := range f.watch {
			c.Watch = append(c.Watch, abs(w))
		}
	}
	if set["entry"] {
		for _, e := range f.entry {
			c.Entry = append(c.Entry, abs(e))
		}
	}
	if set["include"] {
		c.Include = f.include
	}
	if set["exclude"] {
		c.Exclude = append(c.Exclude, f.exclude...)
	}
	if set["debounce"] {
		c.Debounce = f.debounce
	}
	if set["on-busy"] {
		c.OnBusy = f.onBusy
	}
	if set["klayout-name"] {
		c.KLayoutName = f.klayoutName
	}
	if set["layer-properties"] {
		c.LayerProperties = abs(f.layerProps)
	}
	if set["push-timeout"] {
		c.PushTimeout = f.pushTimeout
	}
	if set["warm"] {
		c.Warm, c.WarmFromFlag = f.warm, true
	}
	if set["jobs"] {
		c.Jobs = f.jobs
	}
	if set["poll-interval"] {
		c.PollInterval = f.pollInterval
	}
	if set["output"] {
		c.Output = abs(f.output)
	}
	if set["klayout"] {
		c.KLayout = f.klayout
	}
	c.AllowOutside = f.allowOutside
	if set["protocol"] {
		c.Protocol = f.protocol
	}
	if set["session-dir"] {
		c.SessionDir = abs(f.sessionDir)
		c.SessionDirFromFlag = true
	}
	if set["granularity"] {
		c.Granularity = f.granularity
	}
	if set["no-session"] {
		c.NoSession = f.noSession
	}
	if set["trace-frames"] {
		c.TraceFrames = f.traceFrames
	}
	if set["trace-bytes"] {
		c.TraceBytes = f.traceBytes
	}
	for name, b := range map[string]struct{ dst, v *bool }{
		"poll": {&c.Poll, &f.poll}, "clear": {&c.Clear, &f.clear}, "no-initial": {&c.NoInitial, &f.noInitial},
		"show-diff": {&c.ShowDiff, &f.showDiff},
	} {
		if set[name] {
			*b.dst = *b.v
		}
	}
	c.Once, c.Force, c.NoColor, c.Verbose, c.JSON = f.once, f.force, f.noColor, f.verbose, f.json
	if set["push"] {
		c.Push = f.push
	}
	if set["no-push"] && f.noPush {
		c.Push = false
	}
	c.fill(dir)
}

// fill sets the project directory (the configuration file's, else dir),
// the default watch root and absolute paths.
func (c *Config) fill(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Dir = dir
	if c.File != "" {
		if abs, err := filepath.Abs(c.File); err == nil {
			c.Dir = filepath.Dir(abs)
		}
	}
	if len(c.Watch) == 0 {
		c.Watch = []string{c.Dir}
	}
	if c.SessionDir != "" && !filepath.IsAbs(c.SessionDir) {
		c.SessionDir = abs(c.SessionDir)
	}
}

const usageHeader = `Usage: lywatch [flags] -- CMD ARGS...

Watches the sources (default: *.py under the current directory), runs CMD at
start-up and after every real change, and pushes the layout CMD writes
(--output) into KLayout. Settings also come from [tool.lywatch] in
pyproject.toml or from lywatch.toml; flags override them.

Flags:
`

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, usageHeader)
	flagusage.Print(w, fs)
}
