package watcher

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Defaults used where an Options field is zero.
const (
	// DefaultDebounce is the quiet window after the last event before the
	// candidates are hashed. Editors finish a save within microseconds (a
	// truncate and a write, or a write and a rename), so 1 ms merges a save's
	// events into one change set and leaves most of a 10 ms save-to-build
	// budget for the plan and for starting the build (Go's timers do not
	// wake much sooner than 1 ms anyway). Files caught half-way (empty or
	// missing) get the Settle wait on top; a change caught mid-write is
	// followed by the rest of the write within the burst window, which then
	// restarts or queues the build with the final content.
	DefaultDebounce = time.Millisecond
	// DefaultBurstWindow is the longer quiet window used while changes keep
	// coming: an event within this time of the last change set waits for this
	// much quiet, so a burst of saves gives one change set at its start and
	// one at its end.
	DefaultBurstWindow = 200 * time.Millisecond
	// DefaultSettle is how long a file that reads empty, or is missing, right
	// after an event is given to reappear or fill before it is reported: some
	// programs truncate before they write, and atomic savers remove the
	// original before they rename the new file in.
	DefaultSettle = 30 * time.Millisecond
	// DefaultMaxWait bounds how long a never-ending stream of events can hold
	// a change set back.
	DefaultMaxWait = 2 * time.Second
	// DefaultPollInterval is the time between two scans in polling mode.
	DefaultPollInterval = 500 * time.Millisecond
)

// DefaultInclude returns the include globs used when Options.Include is empty.
func DefaultInclude() []string { return []string{"**/*.py"} }

// Options configure a Watcher. The zero value watches the current directory
// for Python files with the defaults above.
type Options struct {
	// Roots are the directories to watch recursively; default ".".
	Roots []string
	// Include lists doublestar globs, matched against the slash-separated path
	// relative to its root; a file is tracked if one matches. Default
	// DefaultInclude().
	Include []string
	// Exclude lists doublestar globs of files and directories never tracked.
	// A directory matching one is not entered.
	Exclude []string
	// Debounce is the quiet window; zero means DefaultDebounce.
	Debounce time.Duration
	// BurstWindow is the quiet window during a burst of changes; zero means
	// DefaultBurstWindow. It is never shorter than Debounce.
	BurstWindow time.Duration
	// Settle is the extra wait for files that read empty or missing right
	// after an event; zero means DefaultSettle, negative disables it.
	Settle time.Duration
	// MaxWait bounds how long events that keep coming can delay a change set;
	// zero means DefaultMaxWait.
	MaxWait time.Duration
	// Poll scans the tree every PollInterval instead of using fsnotify.
	// The watcher also falls back to polling by itself when the inotify watch
	// limit is reached.
	Poll bool
	// PollInterval is the time between scans in polling mode; zero means
	// DefaultPollInterval.
	PollInterval time.Duration
	// NoGitignore turns off reading .gitignore and .git/info/exclude.
	NoGitignore bool
	// NoBuiltinIgnores turns off the built-in ignores (.git, __pycache__,
	// build/, editor swap and backup files, ...). See BuiltinIgnores.
	NoBuiltinIgnores bool
	// Logf receives progress and warnings, one line per call, without a
	// trailing newline; nil discards them.
	Logf func(format string, args ...any)
}

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if len(o.Roots) == 0 {
		o.Roots = []string{"."}
	}
	if len(o.Include) == 0 {
		o.Include = DefaultInclude()
	}
	for _, g := range append(append([]string(nil), o.Include...), o.Exclude...) {
		if !doublestar.ValidatePattern(filepath.ToSlash(g)) {
			return o, fmt.Errorf("watcher: bad glob %q", g)
		}
	}
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"debounce", &o.Debounce, DefaultDebounce},
		{"burst window", &o.BurstWindow, DefaultBurstWindow},
		{"max wait", &o.MaxWait, DefaultMaxWait},
		{"poll interval", &o.PollInterval, DefaultPollInterval},
	}
	for _, d := range durations {
		if *d.d < 0 {
			return o, fmt.Errorf("watcher: negative %s %v", d.name, *d.d)
		}
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	if o.Settle == 0 {
		o.Settle = DefaultSettle
	}
	if o.BurstWindow < o.Debounce {
		o.BurstWindow = o.Debounce
	}
	if o.MaxWait < o.BurstWindow {
		o.MaxWait = o.BurstWindow
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o, nil
}

// ErrClosed is returned by Run on a Watcher that was closed or already ran.
var ErrClosed = errors.New("watcher: closed")
