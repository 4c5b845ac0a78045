package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// File names looked for, in this order, in a directory.
const (
	LywatchTOML = "lywatch.toml"
	PyProject   = "pyproject.toml"
)

// FileError is a bad key or value in a configuration file.
type FileError struct {
	File string // the file's path
	Line int    // 1-based; 0 when unknown
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// rawTarget is one [[targets]] table as written.
type rawTarget struct {
	Name      string `toml:"name"`
	Command   any    `toml:"command"`
	Output    string `toml:"output"`
	Entry     any    `toml:"entry"`
	Timeout   any    `toml:"timeout"`
	Warm      *bool  `toml:"warm"`
	Reference string `toml:"reference"`
}

// rawConfig is the table as written: pointers and any so that unset keys
// keep their defaults and the value types can be checked here, with lines.
type rawConfig struct {
	Watch        any         `toml:"watch"`
	Include      any         `toml:"include"`
	Exclude      any         `toml:"exclude"`
	Debounce     any         `toml:"debounce"`
	OnBusy       *string     `toml:"on_busy"`
	Poll         *bool       `toml:"poll"`
	PollInterval any         `toml:"poll_interval"`
	PushTimeout  any         `toml:"push_timeout"`
	Output       *string     `toml:"output"`
	Reference    *string     `toml:"reference"`
	Clear        *bool       `toml:"clear"`
	Command      any         `toml:"command"`
	NoInitial    *bool       `toml:"no_initial"`
	SessionDir   *string     `toml:"session_dir"`
	NoSession    *bool       `toml:"no_session"`
	KLayout      any         `toml:"klayout"`
	KLayoutName  *string     `toml:"klayout_name"`
	LayerProps   *string     `toml:"layer_properties"`
	Protocol     *string     `toml:"protocol"`
	Push         *bool       `toml:"push"`
	ShowDiff     *bool       `toml:"show_diff"`
	Decorators   any         `toml:"decorators"`
	Granularity  *string     `toml:"granularity"`
	PythonRoots  any         `toml:"python_roots"`
	Timeout      any         `toml:"timeout"`
	MaxFileSize  *int64      `toml:"max_file_size"`
	TraceFrames  *int        `toml:"trace_frames"`
	TraceBytes   *int64      `toml:"trace_bytes"`
	Warm         *bool       `toml:"warm"`
	Jobs         *int64      `toml:"jobs"`
	Targets      []rawTarget `toml:"targets"`
}

// Find looks for the configuration file that applies in dir: in dir and
// its parents, the first lywatch.toml, or pyproject.toml with a
// [tool.lywatch] table. The search stops at the git root (the nearest
// directory holding .git). Outside git it stops at the user's home
// directory, and when dir is not below home it looks in dir alone, so a
// folder such as /tmp above the project never supplies settings.
//
// A file another user could write (owned by someone else, or writable by
// its group or by others) is never read: it is passed over, and skipped
// says which and why. Find returns "" when no file applies.
func Find(dir string) (path string, skipped []string, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	stop := searchTop(dir)
	for d := dir; ; d = filepath.Dir(d) {
		for _, name := range []string{LywatchTOML, PyProject} {
			p := filepath.Join(d, name)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			if why := foreignFile(p); why != "" {
				skipped = append(skipped, fmt.Sprintf("%s: %s; not read", p, why))
				continue
			}
			if name == PyProject {
				if b, err := os.ReadFile(p); err != nil || !hasToolLywatch(b) {
					continue
				}
			}
			return p, skipped, nil
		}
		if d == stop || filepath.Dir(d) == d {
			return "", skipped, nil
		}
	}
}

// searchTop is the last directory Find looks in: the git root above dir,
// else the user's home when dir is below it, else dir itself.
func searchTop(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if home, err := os.UserHomeDir(); err == nil && within(filepath.Clean(home), dir) {
		return filepath.Clean(home)
	}
	return dir
}

var toolLywatchRE = regexp.MustCompile(`(?m)^\s*\[\[?\s*tool\s*\.\s*lywatch\b|^\s*tool\s*\.\s*lywatch\s*[.=]`)

func hasToolLywatch(src []byte) bool { return toolLywatchRE.Match(src) }

// LoadFile reads the settings of path onto c: the [tool.lywatch] table for a
// file named pyproject.toml, the top level for any other (lywatch.toml).
func (c *Config) LoadFile(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if line := nestingLine(string(src), MaxNesting); line > 0 {
		return &FileError{File: path, Line: line, Msg: fmt.Sprintf("arrays or inline tables nested deeper than %d levels", MaxNesting)}
	}
	var section toml.Key
	if filepath.Base(path) == PyProject {
		section = toml.Key{"tool", "lywatch"}
	}
	f := &fileReader{path: path, dir: filepath.Dir(abs), src: string(src), section: section}
	raw, undecoded, err := f.decode()
	if err != nil {
		return err
	}
	if raw == nil {
		return nil
	}
	// Values first: a table where a string belongs is better told as a
	// bad value than as unknown keys inside it.
	if err := f.apply(c, raw); err != nil {
		return err
	}
	if err := f.unknownKey(undecoded); err != nil {
		return err
	}
	c.File = path
	return nil
}

// fileReader decodes one file and turns problems into FileErrors.
type fileReader struct {
	path    string
	dir     string
	src     string
	section toml.Key
}

var (
	lineRE    = regexp.MustCompile(`line (\d+)`)
	typeErrRE = regexp.MustCompile(`^line (\d+) \(last key "([^"]*)"\): incompatible types: TOML value has type (\S+); destination has type (\S+)`)
)

// decode parses the file; it returns the section (nil if absent) and the
// keys that match no setting.
func (f *fileReader) decode() (*rawConfig, []toml.Key, error) {
	var raw *rawConfig
	var md toml.MetaData
	var err error
	if len(f.section) > 0 {
		var doc struct {
			Tool struct {
				Lywatch *rawConfig `toml:"lywatch"`
			} `toml:"tool"`
		}
		md, err = toml.Decode(f.src, &doc)
		raw = doc.Tool.Lywatch
	} else {
		raw = &rawConfig{}
		md, err = toml.Decode(f.src, raw)
	}
	if err != nil {
		return nil, nil, f.tomlError(err)
	}
	return raw, md.Undecoded(), nil
}

// unknownKey reports the first key of the section that was not decoded.
func (f *fileReader) unknownKey(undecoded []toml.Key) error {
	for _, k := range undecoded {
		if len(k) <= len(f.section) || !slices.Equal(k[:len(f.section)], f.section) {
			continue
		}
		return &FileError{File: f.path, Line: f.keyLine(k), Msg: fmt.Sprintf("unknown key %q", strings.Join(k[len(f.section):], "."))}
	}
	return nil
}

func (f *fileReader) tomlError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" {
			msg = fmt.Sprintf("%s: %s", lastPieces(pe.LastKey, f.section), msg)
		}
		return &FileError{File: f.path, Line: pe.Position.Line, Msg: msg}
	}
	msg := strings.TrimPrefix(err.Error(), "toml: ")
	line := 0
	if m := typeErrRE.FindStringSubmatch(msg); m != nil {
		// "line 2 (last key "tool.lywatch.poll"): incompatible types: ..."
		line, _ = strconv.Atoi(m[1])
		msg = fmt.Sprintf("%s: value is %s, want %s", lastPieces(m[2], f.section), tomlWord(m[3]), tomlWord(m[4]))
	} else if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &FileError{File: f.path, Line: line, Msg: msg}
}

func lastPieces(key string, section toml.Key) string {
	return strings.TrimPrefix(key, strings.Join(section, ".")+".")
}

// errAt returns a FileError for key (relative to the section) of the
// top-level table, or of target number ti when ti >= 0.
func (f *fileReader) errAt(ti int, key string, format string, args ...any) error {
	k := append(toml.Key{}, f.section...)
	name := key
	if ti >= 0 {
		k = append(k, "targets")
		name = fmt.Sprintf("targets[%d].%s", ti, key)
	}
	k = append(k, key)
	line := f.keyLineN(k, max(ti, 0))
	return &FileError{File: f.path, Line: line, Msg: name + ": " + fmt.Sprintf(format, args...)}
}

// apply checks raw's values and sets them on c.
func (f *fileReader) apply(c *Config, raw *rawConfig) error {
	var err error
	list := func(v any, key string, dst *[]string, paths bool) {
		if v == nil || err != nil {
			return
		}
		var l []string
		l, err = stringList(v)
		if err != nil {
			err = f.errAt(-1, key, "%v", err)
			return
		}
		if paths {
			l = f.resolveAll(l)
		}
		*dst = l
	}
	list(raw.Watch, "watch", &c.Watch, true)
	list(raw.Include, "include", &c.Include, false)
	list(raw.Exclude, "exclude", &c.Exclude, false)
	list(raw.Decorators, "decorators", &c.Decorators, false)
	list(raw.PythonRoots, "python_roots", &c.PythonRoots, true)
	list(raw.KLayout, "klayout", &c.KLayout, false)
	if err != nil {
		return err
	}
	if raw.Debounce != nil {
		if c.Debounce, err = duration(raw.Debounce); err != nil {
			return f.errAt(-1, "debounce", "%v", err)
		}
	}
	if raw.PollInterval != nil {
		if c.PollInterval, err = duration(raw.PollInterval); err != nil {
			return f.errAt(-1, "poll_interval", "%v", err)
		}
	}
	if raw.Timeout != nil {
		if c.Timeout, err = duration(raw.Timeout); err != nil {
			return f.errAt(-1, "timeout", "%v", err)
		}
	}
	if raw.PushTimeout != nil {
		if c.PushTimeout, err = duration(raw.PushTimeout); err != nil {
			return f.errAt(-1, "push_timeout", "%v", err)
		}
	}
	if raw.Command != nil {
		if c.Command, err = command(raw.Command); err != nil {
			return f.errAt(-1, "command", "%v", err)
		}
	}
	setString(&c.OnBusy, raw.OnBusy)
	setString(&c.KLayoutName, raw.KLayoutName)
	if raw.LayerProps != nil {
		c.LayerProperties = f.resolve(*raw.LayerProps)
	}
	setString(&c.Protocol, raw.Protocol)
	setString(&c.Granularity, raw.Granularity)
	if raw.Output != nil {
		c.Output = f.resolve(*raw.Output)
	}
	if raw.Reference != nil {
		c.Reference = f.resolve(*raw.Reference)
	}
	if raw.SessionDir != nil {
		c.SessionDir = f.resolve(*raw.SessionDir)
	}
	if raw.MaxFileSize != nil {
		if *raw.MaxFileSize < -1 {
			return f.errAt(-1, "max_file_size", "%d: want a size in bytes, or -1 for no limit", *raw.MaxFileSize)
		}
		c.MaxFileSize = *raw.MaxFileSize
	}
	if raw.TraceFrames != nil {
		if *raw.TraceFrames < 0 {
			return f.errAt(-1, "trace_frames", "%d: want the most frames a build may trace, 0 for none", *raw.TraceFrames)
		}
		c.TraceFrames = *raw.TraceFrames
	}
	if raw.TraceBytes != nil {
		if *raw.TraceBytes <= 0 {
			return f.errAt(-1, "trace_bytes", "%d: want the most bytes a build's trace may take", *raw.TraceBytes)
		}
		c.TraceBytes = *raw.TraceBytes
	}
	setBool(&c.Poll, raw.Poll)
	setBool(&c.Clear, raw.Clear)
	setBool(&c.NoInitial, raw.NoInitial)
	setBool(&c.Push, raw.Push)
	setBool(&c.ShowDiff, raw.ShowDiff)
	setBool(&c.NoSession, raw.NoSession)
	setBool(&c.Warm, raw.Warm)
	if raw.Jobs != nil {
		if *raw.Jobs < 0 || *raw.Jobs > MaxJobs {
			return f.errAt(-1, "jobs", "%d: want a number of builds at once up to %d, or 0 for one per CPU", *raw.Jobs, MaxJobs)
		}
		c.Jobs = int(*raw.Jobs)
	}
	if err := f.checkValues(c); err != nil {
		return err
	}
	if err := f.applyTargets(c, raw.Targets); err != nil {
		return err
	}
	return f.checkInside(c)
}

// checkInside refuses paths lywatch would write (output, session_dir)
// that lie outside the project root (the git root above the file, else
// the file's directory), unless the user allowed it with --allow-outside:
// a checkout cannot make lywatch write elsewhere.
func (f *fileReader) checkInside(c *Config) error {
	if c.AllowOutside {
		return nil
	}
	root := gitTop(f.dir)
	check := func(ti int, key, p string) error {
		if p == "" || within(root, p) {
			return nil
		}
		return f.errAt(ti, key, "%q is outside the project root %s: lywatch writes there only when run with --allow-outside", p, root)
	}
	if err := check(-1, "output", c.Output); err != nil {
		return err
	}
	if err := check(-1, "reference", c.Reference); err != nil {
		return err
	}
	if err := check(-1, "session_dir", c.SessionDir); err != nil {
		return err
	}
	for i, t := range c.Targets {
		if err := check(i, "output", t.Output); err != nil {
			return err
		}
		if err := check(i, "reference", t.Reference); err != nil {
			return err
		}
	}
	return nil
}

// gitTop returns the nearest directory at or above dir holding .git, else
// dir.
func gitTop(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// within reports whether p is dir or below it (both absolute and clean).
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, filepath.Clean(p))
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

// checkValues reports a bad value with the line of its key.
func (f *fileReader) checkValues(c *Config) error {
	if ch, bad := c.badChoice(); bad {
		return f.errAt(-1, ch.key, "%s", ch.problem())
	}
	return nil
}

func (f *fileReader) applyTargets(c *Config, raw []rawTarget) error {
	if raw == nil {
		return nil
	}
	seen := map[string]bool{}
	c.Targets = nil
	for i, rt := range raw {
		if rt.Name == "" {
			return f.errAt(i, "name", "missing (every target needs a name)")
		}
		if seen[rt.Name] {
			return f.errAt(i, "name", "%q used by two targets", rt.Name)
		}
		seen[rt.Name] = true
		t := Target{Name: rt.Name, Output: rt.Output, Timeout: c.Timeout, Warm: c.Warm, Reference: f.resolve(rt.Reference)}
		setBool(&t.Warm, rt.Warm)
		if t.Output != "" {
			t.Output = f.resolve(t.Output)
		}
		var err error
		if rt.Timeout != nil {
			if t.Timeout, err = duration(rt.Timeout); err != nil {
				return f.errAt(i, "timeout", "%v", err)
			}
		}
		if rt.Command != nil {
			if t.Command, err = command(rt.Command); err != nil {
				return f.errAt(i, "command", "%v", err)
			}
		}
		if rt.Entry != nil {
			if t.Entry, err = stringList(rt.Entry); err != nil {
				return f.errAt(i, "entry", "%v", err)
			}
			t.Entry = f.resolveAll(t.Entry)
		}
		c.Targets = append(c.Targets, t)
	}
	return nil
}

func (f *fileReader) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(f.dir, p)
}

func (f *fileReader) resolveAll(l []string) []string {
	out := make([]string, len(l))
	for i, p := range l {
		out[i] = f.resolve(p)
	}
	return out
}

func setString(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// stringList accepts a string or a list of strings.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("item %d is %s, want a string", i, typeName(x))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("is %s, want a string or a list of strings", typeName(v))
}

// command accepts a string (run through sh -c) or a non-empty list of
// strings (run as is).
func command(v any) ([]string, error) {
	if s, ok := v.(string); ok {
		if strings.TrimSpace(s) == "" {
			return nil, errors.New("empty")
		}
		return []string{"sh", "-c", s}, nil
	}
	l, err := stringList(v)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 || l[0] == "" {
		return nil, errors.New("empty")
	}
	return l, nil
}

// duration accepts a Go duration string ("20ms", "1.5s") or an integer
// number of milliseconds.
func duration(v any) (time.Duration, error) {
	switch v := v.(type) {
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (like \"20ms\" or \"1s\")", v)
		}
		if d < 0 {
			return 0, fmt.Errorf("%q is negative", v)
		}
		return d, nil
	case int64:
		if v < 0 {
			return 0, fmt.Errorf("%d is negative", v)
		}
		return time.Duration(v) * time.Millisecond, nil
	}
	return 0, fmt.Errorf("is %s, want a duration string like \"20ms\" or milliseconds", typeName(v))
}

// tomlWord turns a type named in the decoder's messages (TOML's or Go's)
// into TOML words.
func tomlWord(t string) string {
	switch {
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "int") || t == "integer":
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a float"
	case t == "bool" || t == "boolean":
		return "a boolean"
	case strings.HasPrefix(t, "[]") || t == "slice" || t == "array":
		return "an array"
	case strings.HasPrefix(t, "map") || t == "struct" || t == "table":
		return "a table"
	}
	return t
}

// typeName names a decoded TOML value's type the way TOML does.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("%T", v)
}
