// Package testsupport holds helpers shared by lywatch's tests: finding the
// project root and the shared third-party GDS files, and running KLayout in
// batch mode. It is imported only from _test.go files.
package testsupport

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// RequireKLayoutEnv is the environment variable that turns a missing KLayout
// from a skipped test into a failed one. CI sets it.
const RequireKLayoutEnv = "LYWATCH_REQUIRE_KLAYOUT"

// Root returns the module's root directory (where go.mod is).
func Root(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testsupport: cannot find own source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedGDSDir returns ../shared/testdata/gds beside the checkout, or skips
// the test with a message where that folder is absent.
func SharedGDSDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(t), "..", "shared", "testdata", "gds")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared GDS files not found at %s (they live beside the checkout): %v", dir, err)
	}
	return dir
}

// SharedGDSFiles returns the paths of every .gds file in SharedGDSDir, sorted.
func SharedGDSFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(SharedGDSDir(t), "*.gds"))
	if err != nil || len(files) == 0 {
		t.Skipf("no GDS files in the shared folder: %v", err)
	}
	sort.Strings(files)
	return files
}

// KLayout returns the path of the klayout binary. Where it is missing the test
// is skipped, or fails when RequireKLayoutEnv is set.
func KLayout(t testing.TB) string {
	t.Helper()
	return lookPathOrSkip(t, "klayout", "klayout")
}

// Python3 returns the path of python3, with the skip/fail rule of KLayout:
// CI installs both and sets RequireKLayoutEnv, so a test needing Python
// fails there rather than skip.
func Python3(t testing.TB) string {
	t.Helper()
	return lookPathOrSkip(t, "python3", "python3")
}

// PreCommit returns the path of pre-commit (https://pre-commit.com, Debian's
// package pre-commit), with the skip/fail rule of KLayout.
func PreCommit(t testing.TB) string {
	t.Helper()
	lookPathOrSkip(t, "git", "git")
	return lookPathOrSkip(t, "pre-commit", "pre-commit")
}

// IP returns the path of iproute2's ip command, with the skip/fail rule
// of KLayout.
func IP(t testing.TB) string {
	t.Helper()
	return lookPathOrSkip(t, "ip", "iproute2")
}

// lookPathOrSkip returns the path of the program bin. Where it is missing the
// test is skipped, or fails when RequireKLayoutEnv is set; either way the
// message names the Debian package to install.
func lookPathOrSkip(t testing.TB, bin, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		if os.Getenv(RequireKLayoutEnv) != "" {
			t.Fatalf("%s not found but %s is set: install it with 'apt-get install %s'", bin, RequireKLayoutEnv, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s); skipping", bin, pkg)
	}
	return p
}

// Batch runs a Python script in KLayout's batch mode (klayout -b -r script),
// passing defines as -rd NAME=VALUE globals, and returns its standard output.
// The test fails with KLayout's output if the script fails.
func Batch(t testing.TB, script string, defines map[string]string) string {
	t.Helper()
	kl := KLayout(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "script.py")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-b", "-r", path}
	keys := make([]string, 0, len(defines))
	for k := range defines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-rd", k+"="+defines[k])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kl, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir) // keep the user's KLayout settings out of tests
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("klayout -b -r script: %v\nstdout:\n%s\nstderr:\n%s\nscript:\n%s", err, out.String(), errb.String(), script)
	}
	return strings.TrimSpace(out.String())
}
