package pipeline

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/lywatch/lywatch/project"
)

// Redirect returns a copy of the project whose builds write into dir
// instead of the targets' own outputs: what `lywatch check` and a `lywatch
// --once` beside a running loop build with, so that the user's outputs are
// never touched. The rule, for every target with an output:
//
//   - its output becomes dir/NAME/BASE, BASE being the output's file name
//     (NAME the target's key, so that two targets never share a folder);
//   - in every target's command, an argument naming a target's output
//     (relative to the project directory or absolute), whole or after the
//     first "=" (`-rd out=build/chip.gds`, `--output=build/chip.gds`), is
//     replaced by that target's new output;
//   - the build's LYWATCH_OUTPUT is the new output (the loop sets it from
//     the target's output), for builds that read it.
//
// A build that writes its output by a name its command does not show (a
// path inside a `sh -c` script, a constant in the script) is not
// redirected; it leaves the new output unwritten, which Check reports
// with the remedy (ErrNotRedirected).
func Redirect(p *project.Project, dir string) *project.Project {
	out := *p
	out.Targets = make([]project.Target, len(p.Targets))
	moved := map[string]string{} // old output (clean, absolute) -> new
	for i, t := range p.Targets {
		out.Targets[i] = t
		if t.Output == "" {
			continue
		}
		home := t
		if t.Home != nil {
			home = *t.Home
		}
		out.Targets[i].Home = &home
		nw := filepath.Join(dir, safeName(t.Key()), filepath.Base(t.Output))
		moved[absIn(p.Dir, t.Output)] = nw
		out.Targets[i].Output = nw
	}
	for i, t := range out.Targets {
		cmd := make([]string, len(t.Command))
		for j, a := range t.Command {
			cmd[j] = redirectArg(p.Dir, a, moved)
		}
		out.Targets[i].Command = cmd
	}
	return &out
}

// MakeOutputDirs makes the folders of the targets' outputs, for builds
// that write into a folder they expect to exist.
func MakeOutputDirs(p *project.Project) error {
	for _, t := range p.Targets {
		if t.Output != "" {
			if err := os.MkdirAll(filepath.Dir(absIn(p.Dir, t.Output)), 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

// redirectArg replaces an output named by the argument, whole or after
// its first "=".
func redirectArg(dir, arg string, moved map[string]string) string {
	if nw, ok := moved[absIn(dir, arg)]; ok && arg != "" {
		return nw
	}
	if k, v, ok := strings.Cut(arg, "="); ok && v != "" {
		if nw, ok := moved[absIn(dir, v)]; ok {
			return k + "=" + nw
		}
	}
	return arg
}

// absIn is p made absolute against dir, cleaned.
func absIn(dir, p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

// safeName makes a target key usable as a folder name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}
