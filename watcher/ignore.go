package watcher

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
)

// BuiltinIgnores returns the patterns, in .gitignore syntax relative to each
// root, that are ignored unless Options.NoBuiltinIgnores is set: version
// control and tool caches, the build output and session folders, and the
// swap, backup and temporary files of editors.
func BuiltinIgnores() []string {
	return []string{
		// Version control, caches and environments.
		".git/", ".hg/", ".svn/", ".jj/", "__pycache__/", ".mypy_cache/", ".pytest_cache/",
		".ruff_cache/", ".tox/", ".nox/", ".venv/", "node_modules/", ".ipynb_checkpoints/",
		"*.egg-info/", ".lywatch/", "*.pyc", "*.pyo",
		// Build output and the session folder (build/session/) at the top.
		"/build/", "/dist/",
		// vim: swap files, backups, the 4913 probe file.
		"*.swp", "*.swo", "*.swx", "*.swpx", ".*.sw?", "*~", "4913",
		// emacs: lock and auto-save files.
		".#*", "#*#",
		// JetBrains safe write, generic temporary files.
		"*___jb_tmp___", "*___jb_old___", "*.tmp", "*.bak", ".DS_Store",
	}
}

// filter decides which paths are tracked. Its roots and ignore-file state
// are guarded by the Watcher's state lock; the paths from IgnorePath by mu,
// since they are added from any goroutine without it.
type filter struct {
	roots     []string // absolute, clean, sorted, none inside another
	include   []string
	exclude   []string
	builtin   *Rules            // nil when turned off
	gitignore bool              // read .gitignore files
	sets      map[string]*Rules // dir -> rules of dir/.gitignore
	top       map[string]string // root -> directory where .gitignore lookup stops
	exclRules map[string]*Rules // git top -> .git/info/exclude

	mu      sync.RWMutex
	ignored map[string]struct{} // IgnorePath, absolute and clean
}

func newFilter(o Options, roots []string) *filter {
	f := &filter{
		include:   slashAll(o.Include),
		exclude:   slashAll(o.Exclude),
		gitignore: !o.NoGitignore,
		sets:      map[string]*Rules{},
		top:       map[string]string{},
		exclRules: map[string]*Rules{},
		ignored:   map[string]struct{}{},
	}
	if !o.NoBuiltinIgnores {
		f.builtin = mustRules(BuiltinIgnores())
	}
	for _, r := range roots {
		f.addRoot(r)
	}
	return f
}

// addRoot adds r (absolute and clean, not inside a root) to the roots,
// dropping the roots inside it, and finds its git top: the .gitignore
// files between the top and r and the top's .git/info/exclude apply to it.
// It returns the roots it dropped.
func (f *filter) addRoot(r string) (inner []string) {
	roots := f.roots[:0:0]
	for _, old := range f.roots {
		if within(old, r) {
			inner = append(inner, old)
			delete(f.top, old)
			continue
		}
		roots = append(roots, old)
	}
	f.roots = append(roots, r)
	sort.Strings(f.roots)
	f.top[r] = r
	if !f.gitignore {
		return inner
	}
	top := gitTop(r)
	if top == "" {
		return inner
	}
	f.top[r] = top
	if _, ok := f.exclRules[top]; !ok {
		f.exclRules[top] = readRules(excludeFile(top))
	}
	// .gitignore files between the git top and the root apply too.
	for d := filepath.Dir(r); d != r && within(d, top); d = filepath.Dir(d) {
		f.loadDir(d)
		if d == top {
			break
		}
	}
	return inner
}

func slashAll(globs []string) []string {
	out := make([]string, len(globs))
	for i, g := range globs {
		out[i] = filepath.ToSlash(g)
	}
	return out
}

// gitTop returns the nearest directory at or above dir holding .git, or "".
func gitTop(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}

// excludeFile is the path of the .git/info/exclude of the git top.
func excludeFile(top string) string { return filepath.Join(top, ".git", "info", "exclude") }

// reloadExcludes reads every git top's .git/info/exclude again.
func (f *filter) reloadExcludes() {
	for top := range f.exclRules {
		f.exclRules[top] = readRules(excludeFile(top))
	}
}

// isExcludeFile reports whether p is the .git/info/exclude of a git top.
func (f *filter) isExcludeFile(p string) bool {
	if filepath.Base(p) != "exclude" {
		return false
	}
	top := filepath.Dir(filepath.Dir(filepath.Dir(p))) // top/.git/info/exclude
	_, ok := f.exclRules[top]
	return ok && p == excludeFile(top)
}

// readRules reads an ignore file; a missing or unreadable file gives nil.
func readRules(name string) *Rules {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil
	}
	r, err := ParseRules(name, data)
	if err != nil || r.Len() == 0 {
		return nil
	}
	return r
}

// loadDir (re)reads dir/.gitignore.
func (f *filter) loadDir(dir string) {
	if !f.gitignore {
		return
	}
	if r := readRules(filepath.Join(dir, ".gitignore")); r != nil {
		f.sets[dir] = r
	} else {
		delete(f.sets, dir)
	}
}

// forget drops the rules of dir and everything below it.
func (f *filter) forget(dir string) {
	for d := range f.sets {
		if within(d, dir) {
			delete(f.sets, d)
		}
	}
}

// rootOf returns the root that holds p, or "".
func (f *filter) rootOf(p string) string {
	for _, r := range f.roots {
		if within(p, r) {
			return r
		}
	}
	return ""
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	if len(p) == len(dir) {
		return p == dir
	}
	return strings.HasPrefix(p, dir) && (p[len(dir)] == filepath.Separator || dir == string(filepath.Separator))
}

// rel returns p relative to dir, slash-separated; p must be below dir.
func rel(p, dir string) string {
	if dir == string(filepath.Separator) {
		return filepath.ToSlash(p[1:])
	}
	return filepath.ToSlash(p[len(dir)+1:])
}

// ignorePath records a path (and everything below it) as never tracked.
func (f *filter) ignorePath(p string) {
	f.mu.Lock()
	f.ignored[p] = struct{}{}
	f.mu.Unlock()
}

// userIgnored reports whether p or one of its ancestors was given to IgnorePath.
func (f *filter) userIgnored(p string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if len(f.ignored) == 0 {
		return false
	}
	for d := p; ; d = filepath.Dir(d) {
		if _, ok := f.ignored[d]; ok {
			return true
		}
		if d == filepath.Dir(d) {
			return false
		}
	}
}

// skip reports whether p, below root, is ignored by the built-in rules,
// IgnorePath, the exclude globs or the ignore files. Only p itself is judged:
// the caller knows its parent directory is not ignored.
func (f *filter) skip(p, root string, isDir bool) bool {
	if p == root {
		return false
	}
	r := rel(p, root)
	if f.builtin != nil {
		if ign, _ := f.builtin.Match(r, isDir); ign {
			return true
		}
	}
	if f.userIgnored(p) {
		return true
	}
	for _, g := range f.exclude {
		if ok, _ := doublestar.Match(g, r); ok {
			return true
		}
	}
	return f.gitIgnored(p, root, isDir)
}

// gitIgnored applies the .gitignore files from p's directory up to the git
// top (or the root), the innermost deciding, then .git/info/exclude.
func (f *filter) gitIgnored(p, root string, isDir bool) bool {
	if !f.gitignore {
		return false
	}
	top := f.top[root]
	if len(f.sets) > 0 {
		for d := filepath.Dir(p); ; d = filepath.Dir(d) {
			if rs := f.sets[d]; rs != nil {
				if ign, ok := rs.Match(rel(p, d), isDir); ok {
					return ign
				}
			}
			if d == top || d == filepath.Dir(d) {
				break
			}
		}
	}
	if ex := f.exclRules[top]; ex != nil {
		ign, _ := ex.Match(rel(p, top), isDir)
		return ign
	}
	return false
}

// included reports whether a file p below root matches the include globs.
func (f *filter) included(p, root string) bool {
	r := rel(p, root)
	for _, g := range f.include {
		if ok, _ := doublestar.Match(g, r); ok {
			return true
		}
	}
	return false
}

// tracked reports whether file p, below root, is one the watcher reports
// on. Like skip, it judges p itself: its directory is known not ignored.
func (f *filter) tracked(p, root string) bool {
	return f.included(p, root) && !f.skip(p, root, false)
}

// trackedDeep is tracked, and also checks that p is below a root and that no
// directory between the root and p is ignored.
func (f *filter) trackedDeep(p string) bool {
	root := f.rootOf(p)
	if root == "" || p == root || !f.tracked(p, root) {
		return false
	}
	for d := filepath.Dir(p); d != root; d = filepath.Dir(d) {
		if f.skip(d, root, true) {
			return false
		}
	}
	return true
}

// explicitOK reports whether p, a file given to Track, may be tracked: it
// is not given to IgnorePath, and neither it nor a directory between its
// root and it matches an exclude glob. The built-in ignores, the ignore
// files and the include globs do not apply to it, nor does anything but
// IgnorePath to a file outside the roots.
func (f *filter) explicitOK(p string) bool {
	if f.userIgnored(p) {
		return false
	}
	root := f.rootOf(p)
	if root == "" || p == root || len(f.exclude) == 0 {
		return true
	}
	for d := p; d != root; d = filepath.Dir(d) {
		r := rel(d, root)
		for _, g := range f.exclude {
			if ok, _ := doublestar.Match(g, r); ok {
				return false
			}
		}
	}
	return true
}

// isNotExist reports whether err means the path is gone.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
