package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvDir is the environment variable that overrides the session directory.
const EnvDir = "LYWATCH_SESSION_DIR"

// FindRoot returns the project root for cwd: the nearest directory at or
// above cwd holding .git (a directory, or a file for worktrees), else cwd
// itself. The result is absolute and clean.
func FindRoot(cwd string) string {
	abs, err := filepath.Abs(cwd)
	if err != nil {
		abs = filepath.Clean(cwd)
	}
	for d := abs; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return abs
		}
		d = parent
	}
}

// DefaultDir returns the default session directory for cwd:
// build/session under the project root (see FindRoot).
func DefaultDir(cwd string) string {
	return filepath.Join(FindRoot(cwd), "build", "session")
}

// Source says where a session directory setting came from.
type Source string

// The places a session directory can come from, strongest first.
const (
	FromFlag    Source = "--session-dir"
	FromEnv     Source = EnvDir
	FromConfig  Source = "configuration"
	FromDefault Source = "default"
)

// ResolveDir picks the session directory: the --session-dir flag value, else
// the LYWATCH_SESSION_DIR value (pass os.Getenv(EnvDir)), else the
// configuration's value, else DefaultDir(cwd). Relative values are taken
// relative to cwd. It returns the absolute directory and where it came from.
func ResolveDir(flagValue, envValue, configValue, cwd string) (string, Source) {
	pick := func(v string, s Source) (string, Source) {
		if !filepath.IsAbs(v) {
			v = filepath.Join(cwd, v)
		}
		if abs, err := filepath.Abs(v); err == nil {
			v = abs
		}
		return filepath.Clean(v), s
	}
	switch {
	case flagValue != "":
		return pick(flagValue, FromFlag)
	case envValue != "":
		return pick(envValue, FromEnv)
	case configValue != "":
		return pick(configValue, FromConfig)
	}
	return DefaultDir(cwd), FromDefault
}

// EnsureGitignore keeps the build folder out of git: when buildDir has no
// .gitignore, it writes one holding "*". An existing .gitignore is left
// alone, and the user's own .gitignore files are never edited.
func EnsureGitignore(buildDir string) error {
	p := filepath.Join(buildDir, ".gitignore")
	if _, err := os.Lstat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(buildDir, dirPerm); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return fmt.Errorf("session: %w", err)
	}
	_, err = f.WriteString("# written by lywatch: build outputs and the session cache stay out of git\n*\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("session: write %s: %w", p, err)
	}
	return nil
}
