package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// interpreter is the Python (or KLayout, whose Python runs `klayout -b`
// scripts) that runs a target's build: part of what a session's layout
// was made with, and where its site-packages are (the graph follows
// editable installs from there).
type interpreter struct {
	// Name is the command's word ("python3", "klayout").
	Name string `json:"name"`
	// Path is the program found on PATH; Exe the interpreter it runs
	// (sys.executable: a shim or a virtualenv's link resolves there).
	Path string `json:"path"`
	Exe  string `json:"exe,omitempty"`
	// Stamp is Path's and Exe's size and modification time: while both
	// are the same, Version and Site are taken as they were recorded.
	Stamp string `json:"stamp"`
	// Version is the interpreter's own ("3.11.7", "KLayout 0.28.5 / Python 3.11.2").
	Version string `json:"version"`
	// Site are its site-packages directories.
	Site []string `json:"site,omitempty"`
}

// pythonWord and klayoutWord match the programs whose interpreter lywatch
// records.
var (
	pythonWord  = regexp.MustCompile(`^python[0-9.]*$`)
	klayoutWord = regexp.MustCompile(`^klayout(_app)?(\.exe)?$`)
)

// interpreterWord returns the Python or KLayout program a command runs:
// its first word, through `sh -c "..."` and `env VAR=x ...`; "" when the
// command runs neither.
func interpreterWord(command []string) string {
	words := command
	if len(words) >= 3 && (filepath.Base(words[0]) == "sh" || filepath.Base(words[0]) == "bash") && words[1] == "-c" {
		words = strings.Fields(words[2])
	}
	for len(words) > 0 && (filepath.Base(words[0]) == "env" || strings.Contains(words[0], "=")) {
		words = words[1:]
	}
	if len(words) == 0 {
		return ""
	}
	base := filepath.Base(words[0])
	if pythonWord.MatchString(base) || klayoutWord.MatchString(base) {
		return words[0]
	}
	return ""
}

// stamp identifies the file at p by size and modification time.
func stamp(p string) string {
	st, err := os.Stat(p)
	if err != nil {
		return "missing"
	}
	return fmt.Sprintf("%d:%d", st.Size(), st.ModTime().UnixNano())
}

// findInterpreter resolves the interpreter a command runs, taking the
// version and site-packages from recorded when its files are unchanged and
// asking the interpreter otherwise. It returns nil for a command that runs
// no Python.
func findInterpreter(ctx context.Context, command []string, dir string, recorded *interpreter) (*interpreter, error) {
	word := interpreterWord(command)
	if word == "" {
		return nil, nil
	}
	path := word
	if !filepath.IsAbs(path) && strings.Contains(path, string(filepath.Separator)) {
		path = filepath.Join(dir, path)
	}
	if p, err := exec.LookPath(path); err == nil {
		path = p
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	in := &interpreter{Name: filepath.Base(word), Path: path}
	if recorded != nil && recorded.Path == path && recorded.Stamp == stamp(path)+" "+stamp(recorded.Exe) {
		in.Exe, in.Stamp, in.Version, in.Site = recorded.Exe, recorded.Stamp, recorded.Version, recorded.Site
		return in, nil
	}
	if err := in.probe(ctx); err != nil {
		return in, err
	}
	in.Stamp = stamp(path) + " " + stamp(in.Exe)
	return in, nil
}

// probeScript prints what lywatch records of a Python.
const probeScript = `import json, site, sys
s = []
try:
    s = list(site.getsitepackages())
except Exception:
    pass
try:
    s.append(site.getusersitepackages())
except Exception:
    pass
print("LYWATCH-PROBE " + json.dumps({"version": sys.version.split()[0], "exe": sys.executable, "site": s}))
`

// probe asks the interpreter for its version and site-packages: python -c,
// or a `klayout -b -r` script (about a second; recorded, so paid once).
func (in *interpreter) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	klayout := klayoutWord.MatchString(in.Name)
	if klayout {
		f, err := os.CreateTemp("", "lywatch-probe-*.py")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		if _, err := f.WriteString(probeScript); err != nil {
			f.Close()
			return err
		}
		f.Close()
		cmd = exec.CommandContext(ctx, in.Path, "-b", "-r", f.Name())
	} else {
		cmd = exec.CommandContext(ctx, in.Path, "-c", probeScript)
	}
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("ask %s for its version: %w", in.Path, err)
	}
	var got struct {
		Version string   `json:"version"`
		Exe     string   `json:"exe"`
		Site    []string `json:"site"`
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "LYWATCH-PROBE "); ok {
			if err := json.Unmarshal([]byte(rest), &got); err != nil {
				return fmt.Errorf("%s: %w", in.Path, err)
			}
			in.Version, in.Site, in.Exe = got.Version, got.Site, got.Exe
			if klayout {
				in.Version = klayoutVersion(ctx, in.Path) + " / Python " + got.Version
				in.Exe = in.Path // KLayout embeds its Python
			}
			return nil
		}
	}
	return errors.New(in.Path + ": the version probe printed nothing")
}

// klayoutVersion is what `klayout -v` says ("KLayout 0.28.5").
func klayoutVersion(ctx context.Context, path string) string {
	out, err := exec.CommandContext(ctx, path, "-v").Output()
	if err != nil {
		return "KLayout"
	}
	return strings.TrimSpace(string(out))
}
