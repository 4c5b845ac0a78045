package pipeline

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lywatch/lywatch/session"
)

// commitTimeout bounds the one git command a save runs.
const commitTimeout = 5 * time.Second

// sourceCommit returns the commit checked out at root (a git checkout)
// when none of the tracked files (root-relative, as the session keeps
// them) has an uncommitted change: modified, staged, deleted, renamed or
// untracked; else "". git is asked about the files under sources only.
// Outside git, or without git, it is "".
func sourceCommit(ctx context.Context, root, sources string, files []session.File) string {
	git, err := exec.LookPath("git")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	spec := "."
	if rel, err := filepath.Rel(root, sources); err == nil && filepath.IsLocal(rel) {
		spec = filepath.ToSlash(rel)
	}
	cmd := exec.CommandContext(ctx, git, "-C", root, "status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all", "--", spec)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	tracked := make(map[string]bool, len(files))
	for _, f := range files {
		tracked[f.Path] = true
	}
	commit, dirty := parseStatus(out, tracked)
	if dirty {
		return ""
	}
	return commit
}

// parseStatus reads `git status --porcelain=v2 -z --branch`: the commit
// checked out, and whether a path it lists as changed (modified, staged,
// renamed, unmerged, deleted or untracked) is one of the tracked sources
// or Python code. Other files (a build's outputs beside the sources) do
// not count.
func parseStatus(out []byte, tracked map[string]bool) (commit string, dirty bool) {
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := string(fields[i])
		var path string
		switch {
		case strings.HasPrefix(f, "# branch.oid "):
			commit = strings.TrimPrefix(f, "# branch.oid ")
		case strings.HasPrefix(f, "1 "):
			path = nthField(f, 8)
		case strings.HasPrefix(f, "2 "):
			path = nthField(f, 9)
			if i+1 < len(fields) && tracked[string(fields[i+1])] {
				dirty = true // renamed away from a source
			}
			i++
		case strings.HasPrefix(f, "u "):
			path = nthField(f, 10)
		case strings.HasPrefix(f, "? "):
			path = f[2:]
		}
		if path != "" && (tracked[path] || strings.HasSuffix(path, ".py")) {
			dirty = true // a source, or Python code the graph no longer sees (deleted)
		}
	}
	if len(commit) < 7 || strings.Trim(commit, "0123456789abcdef") != "" {
		return "", dirty // "(initial)": nothing committed yet
	}
	return commit, dirty
}

// nthField returns what follows the first n space-separated fields of a
// status line: its path, which may hold spaces.
func nthField(line string, n int) string {
	parts := strings.SplitN(line, " ", n+1)
	if len(parts) <= n {
		return ""
	}
	return parts[n]
}
