package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Defaults. DefaultDebounce and DefaultPollInterval are the watcher's own
// defaults and DefaultKLayout is the push client's (a test holds them
// equal): config names values and imports neither package.
const (
	DefaultDebounce     = time.Millisecond
	DefaultPollInterval = 500 * time.Millisecond
	DefaultKLayout      = "127.0.0.1:11078"
	DefaultProtocol     = "lywatch"
	DefaultGranularity  = "function"
	DefaultInclude      = "**/*.py"
	DefaultPushTimeout  = 10 * time.Second
	// DefaultTraceFrames and DefaultTraceBytes bound one build's trace
	// (the tracing package's own defaults).
	DefaultTraceFrames       = 200
	DefaultTraceBytes  int64 = 64 << 20
)

// MaxJobs bounds Config.Jobs.
const MaxJobs = 1 << 16

// Config is every setting of the live loop. The toml names are the keys of
// `[tool.lywatch]` (pyproject.toml) or of lywatch.toml.
type Config struct {
	// Watch lists the roots to watch (default: the current directory).
	Watch []string `toml:"watch"`
	// Include and Exclude are doublestar globs relative to the roots
	// (default include **/*.py).
	Include []string `toml:"include"`
	Exclude []string `toml:"exclude"`
	// Debounce is the quiet window after the last event of a burst.
	Debounce time.Duration `toml:"-"`
	// OnBusy is "restart" (default) or "queue".
	OnBusy string `toml:"on_busy"`
	// Poll watches by polling instead of inotify; PollInterval is its period.
	Poll         bool          `toml:"poll"`
	PollInterval time.Duration `toml:"-"`
	// Output is the layout the build writes (never watched; read, saved
	// and pushed after a good build).
	Output string `toml:"output"`
	// Reference is the layout `lywatch check` compares the output with (a
	// file kept in git, such as tests/ref/chip.gds; `check --update`
	// writes it).
	Reference string `toml:"reference"`
	// Clear clears the terminal before each build.
	Clear bool `toml:"clear"`
	// Command is the build: a list runs as is, a string through `sh -c`.
	Command []string `toml:"-"`
	// NoInitial skips the build at start-up.
	NoInitial bool `toml:"no_initial"`
	// Timeout stops a build that runs longer (0, the default: no limit);
	// it is also the timeout of targets that set none.
	Timeout time.Duration `toml:"-"`
	// Warm keeps each target's interpreter between builds (a warm
	// worker); the default of targets that set none. WarmFromFlag says it
	// came from --warm, which then holds for every target.
	Warm         bool `toml:"warm"`
	WarmFromFlag bool `toml:"-"`
	// Jobs is how many builds may run at once, at most MaxJobs (0, the
	// default: the number of CPUs).
	Jobs int `toml:"jobs"`
	// SessionDir is where the session lives; "" leaves the choice to the
	// session package (LYWATCH_SESSION_DIR, else build/session under the git
	// root). SessionDirFromFlag says it came from --session-dir, which beats
	// the environment; a value from the file does not.
	SessionDir         string `toml:"session_dir"`
	SessionDirFromFlag bool   `toml:"-"`
	// NoSession keeps no session: no restore at start, nothing saved.
	NoSession bool `toml:"no_session"`
	// KLayout lists the addresses of KLayout's servers to push to; a push
	// goes to each. Empty: the KLayout found for the project (see the ipc
	// package), else DefaultKLayout.
	KLayout []string `toml:"klayout"`
	// PushTimeout bounds one push: a KLayout that takes longer (or never
	// answers) is given up on, and the loop goes on.
	PushTimeout time.Duration `toml:"-"`
	// KLayoutName names the KLayout instance this project pushes to (one
	// started with `lywatch klayout start --name`); default the project
	// directory.
	KLayoutName string `toml:"klayout_name"`
	// LayerProperties is the PDK's .lyp file: KLayout applies it when a
	// view opens and keeps it on reload.
	LayerProperties string `toml:"layer_properties"`
	// Protocol is the push protocol: "lywatch" (default), "lyipc" or "klive".
	Protocol string `toml:"protocol"`
	// Push pushes each good layout into KLayout (default true).
	Push bool `toml:"push"`
	// Decorators are the names marking factory functions (for depgraph),
	// e.g. ["cell", "gf.cell", "kf.cell"].
	Decorators []string `toml:"decorators"`
	// Granularity of invalidation: "function" (default) or "file".
	Granularity string `toml:"granularity"`
	// PythonRoots are the directories Python imports resolve from
	// (default: the watch roots).
	PythonRoots []string `toml:"python_roots"`
	// MaxFileSize is the size in bytes over which a .py file is tracked
	// by its hash alone, not scanned (0: the graph's default, 4 MiB; -1:
	// no limit).
	MaxFileSize int64 `toml:"max_file_size"`
	// TraceFrames bounds the frames one build may trace through
	// lywatch_trace (0: builds are not traced); TraceBytes bounds their
	// total size in bytes. Frames past the bounds are counted, not kept.
	TraceFrames int   `toml:"trace_frames"`
	TraceBytes  int64 `toml:"trace_bytes"`
	// Targets are named builds; with none, Command and Output are the one
	// target.
	Targets []Target `toml:"-"`
	// Entry lists the entry files of the single target (flag only; named
	// targets have their own): the Python files its build runs, whose
	// dependencies decide whether an edit reaches it. The .py arguments of
	// the command count too.
	Entry []string `toml:"-"`

	// Once runs one cycle and exits with its status (flag only): the
	// targets the session serves are shown from it, the others built.
	Once bool `toml:"-"`
	// Force, with Once, builds every target whatever the session says
	// (flag only).
	Force bool `toml:"-"`
	// ShowDiff shows in KLayout, after each build, what changed since the
	// previous good layout: the XOR as a report database.
	ShowDiff bool `toml:"show_diff"`
	// NoColor turns colour off (flag only; NO_COLOR is honoured too).
	NoColor bool `toml:"-"`
	// Verbose prints diagnostics (flag only).
	Verbose bool `toml:"-"`
	// JSON prints a JSON report of each cycle on stdout (flag only).
	JSON bool `toml:"-"`
	// AllowOutside lets paths from the configuration file (output,
	// session_dir) lie outside the project root (flag only: a checkout
	// cannot allow itself to write elsewhere).
	AllowOutside bool `toml:"-"`
	// CommandFromFlags says Command came from the command line (after
	// --): it then wins over every target's own command.
	CommandFromFlags bool `toml:"-"`
	// Skipped lists configuration files the search passed over because
	// another user could write them, each with why (see Find).
	Skipped []string `toml:"-"`
	// File is the configuration file read, "" if none.
	File string `toml:"-"`
	// Dir is the project directory: the configuration file's, else the
	// current one. Builds run there, it is the default watch root, and
	// summary lines show paths relative to it.
	Dir string `toml:"-"`
}

// Target is one `[[tool.lywatch.targets]]` table: a named build with its own
// command and output, and the entry files whose dependencies it builds.
type Target struct {
	Name    string
	Command []string
	Output  string
	Entry   []string
	// Timeout stops the target's build when it runs longer (0: no limit);
	// the top-level timeout when the table sets none.
	Timeout time.Duration
	// Warm keeps the target's interpreter between builds; the top-level
	// warm when the table sets none.
	Warm bool
	// Reference is the layout `lywatch check` compares Output with.
	Reference string
}

// Default returns the configuration with every default filled in.
func Default() *Config {
	return &Config{
		Include:      []string{DefaultInclude},
		Debounce:     DefaultDebounce,
		OnBusy:       "restart",
		PollInterval: DefaultPollInterval,
		Protocol:     DefaultProtocol,
		PushTimeout:  DefaultPushTimeout,
		Push:         true,
		Granularity:  DefaultGranularity,
		TraceFrames:  DefaultTraceFrames,
		TraceBytes:   DefaultTraceBytes,
	}
}

// choice is a setting whose value must come from a fixed set.
type choice struct {
	key, val string
	ok       []string
}

func (ch choice) problem() string {
	return fmt.Sprintf("%q: want one of %s", ch.val, strings.Join(ch.ok, ", "))
}

// badChoice returns the first setting whose value is not in its set; the
// file reader and Validate both use it.
func (c *Config) badChoice() (choice, bool) {
	for _, ch := range []choice{
		{"on_busy", c.OnBusy, []string{"restart", "queue"}},
		{"protocol", c.Protocol, []string{"lywatch", "lyipc", "klive"}},
		{"granularity", c.Granularity, []string{"function", "file"}},
	} {
		if !slices.Contains(ch.ok, ch.val) {
			return ch, true
		}
	}
	return choice{}, false
}

// Validate checks values that must come from a fixed set.
func (c *Config) Validate() error {
	if ch, bad := c.badChoice(); bad {
		return fmt.Errorf("%s %s", ch.key, ch.problem())
	}
	if c.Debounce < 0 {
		return fmt.Errorf("debounce %s: must not be negative", c.Debounce)
	}
	if c.TraceFrames < 0 || c.TraceBytes <= 0 {
		return fmt.Errorf("trace_frames %d, trace_bytes %d: want frames >= 0 (0: no tracing) and bytes > 0", c.TraceFrames, c.TraceBytes)
	}
	if c.Jobs < 0 || c.Jobs > MaxJobs {
		return fmt.Errorf("jobs %d: want a number of builds at once up to %d, or 0 for one per CPU", c.Jobs, MaxJobs)
	}
	return nil
}
