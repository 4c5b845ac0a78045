package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// gitIn runs git in dir and returns its output; the test fails on an error.
func gitIn(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := runIn(dir, env, "git", args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// runIn runs a program in dir with env added to the test's environment.
func runIn(dir string, env []string, prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// hookRepo makes a git repository of this checkout's working tree (tracked
// and new files, as they are now, committed or not) for pre-commit to
// install the hook from, and returns it with its commit.
func hookRepo(t *testing.T, env []string) (dir, rev string) {
	t.Helper()
	root := testsupport.Root(t)
	dir = t.TempDir()
	files := gitIn(t, root, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	for _, f := range strings.Split(files, "\x00") {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the working tree
		}
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, dir, env, "init", "-q")
	gitIn(t, dir, env, "add", "-A")
	gitIn(t, dir, env, "commit", "-q", "--no-verify", "-m", "lywatch as it is")
	return dir, gitIn(t, dir, env, "rev-parse", "HEAD")
}

// TestPreCommitHook runs the real pre-commit on a scratch repository of
// the example PDK whose .pre-commit-config.yaml uses the lywatch-check hook
// of this checkout (.pre-commit-hooks.yaml, language golang, built offline
// from the module cache): a commit that keeps the geometry passes, one that
// changes a factory's geometry is refused with the XOR summary.
func TestPreCommitHook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lywatch with pre-commit")
	}
	t.Parallel()
	testsupport.KLayout(t)
	testsupport.PreCommit(t)
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	home := t.TempDir()
	env := []string{
		"PRE_COMMIT_HOME=" + filepath.Join(home, "pre-commit"),
		// The hook is built offline, from the module cache.
		"GOMODCACHE=" + strings.TrimSpace(string(gomodcache)), "GOPROXY=off", "GOFLAGS=-trimpath", "GOTOOLCHAIN=local",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"), "NO_COLOR=1",
	}
	hooks, rev := hookRepo(t, env)

	dir := testsupport.CopyPDK(t)
	writeFile(t, filepath.Join(dir, "lywatch.toml"), `command = ["klayout", "-b", "-r", "build.py", "-rd", "out=build/chip.gds"]
output = "build/chip.gds"
reference = "tests/ref/chip.gds"
`)
	writeFile(t, filepath.Join(dir, ".pre-commit-config.yaml"), fmt.Sprintf(`repos:
  - repo: %s
    rev: %s
    hooks:
      - id: lywatch-check
`, hooks, rev))
	pdkBuild(t, dir, "build.py", "tests/ref/chip.gds")
	gitIn(t, dir, env, "init", "-q")
	if out, err := runIn(dir, env, "pre-commit", "install"); err != nil {
		t.Fatalf("pre-commit install: %v\n%s", err, out)
	}
	gitIn(t, dir, env, "add", "-A")
	commit := func(msg string) (string, error) {
		gitIn(t, dir, env, "add", "-A")
		return runIn(dir, env, "git", "commit", "-m", msg)
	}
	if out, err := commit("the PDK and its reference"); err != nil {
		t.Fatalf("the first commit (the hook installs and passes): %v\n%s", err, out)
	}

	editPDK(t, dir, "mypdk/components/pads.py", "h = size / 2", "h = 0.5 * size")
	if out, err := commit("refactor: the same pads"); err != nil || !strings.Contains(out, "lywatch check") {
		t.Fatalf("a commit that keeps the geometry was refused: %v\n%s", err, out)
	}

	editPDK(t, dir, "mypdk/components/pads.py", "OPENING_INSET = 5.0", "OPENING_INSET = 6.0")
	out, err := commit("smaller pad openings")
	for _, w := range []string{"build/chip.gds: built, differs from tests/ref/chip.gds", "~ cell pad_S80",
		"layer 46/0: XOR 276 µm² (+0 -276), 1 polygon, box (-35,-35;35,35)", "lywatch check --update"} {
		if !strings.Contains(out, w) {
			t.Errorf("the refused commit does not say %q", w)
		}
	}
	if err == nil || t.Failed() {
		t.Fatalf("a commit that changes the geometry: %v\n%s", err, out)
	}
	if n := gitIn(t, dir, env, "rev-list", "--count", "HEAD"); n != "2" {
		t.Errorf("%s commits, want 2: the geometry change was committed", n)
	}
}
