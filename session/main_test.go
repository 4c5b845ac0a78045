package session

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Environment variables that turn the test binary into a helper process.
const (
	childEnv     = "LYWATCH_SESSION_TEST_CHILD"
	childDirEnv  = "LYWATCH_SESSION_TEST_DIR"
	childRootEnv = "LYWATCH_SESSION_TEST_ROOT"
	childGenEnv  = "LYWATCH_SESSION_TEST_GEN"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(runTests(m))
	case "holdlock":
		os.Exit(childHoldLock())
	case "saveloop":
		os.Exit(childSaveLoop())
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode")
		os.Exit(3)
	}
}

// runTests runs the tests with the user's folders (for the session key and
// locks) in a temporary folder that the helper processes inherit, so no
// test reads or writes the real ones.
func runTests(m *testing.M) int {
	home, err := os.MkdirTemp("", "lywatch-session-test-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(home)
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	os.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	return m.Run()
}

// childHoldLock opens the session, says "locked" and waits for stdin to
// close (or to be killed).
func childHoldLock() int {
	s, err := Open(os.Getenv(childDirEnv), Options{Root: os.Getenv(childRootEnv), Args: []string{"holder-test"}})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n')
	s.Close()
	return 0
}

// childSaveLoop saves generation after generation until killed, printing
// "saved N" after each save returned.
func childSaveLoop() int {
	root := os.Getenv(childRootEnv)
	gen, _ := strconv.Atoi(os.Getenv(childGenEnv))
	s, err := Open(os.Getenv(childDirEnv), Options{Root: root, HistoryFrames: 5})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "saveloop")
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	tb := &childTB{}
	for ; ; gen++ {
		m := testManifest(tb, root, srcPaths(), gen)
		lay := layoutFile(tb, tmp, gen%3, 200_000+gen%3)
		// Layouts cycle through three contents; gen%3 names which.
		if err := s.Save("chip", m, lay); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("saved", gen)
	}
}

// startChild runs the test binary as a helper in the given mode.
func startChild(ctx context.Context, t *testing.T, mode string, env ...string) (*exec.Cmd, *bufio.Scanner, func()) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}
	return cmd, bufio.NewScanner(out), stop
}

// childTB lets the test helpers run in the child process, where a failure
// simply ends it.
type childTB struct{ testing.TB }

func (childTB) Helper() {}
func (childTB) Fatal(args ...any) {
	fmt.Println(append([]any{"error:"}, args...)...)
	os.Exit(1)
}
func (childTB) Fatalf(format string, args ...any) {
	fmt.Printf("error: "+format+"\n", args...)
	os.Exit(1)
}
