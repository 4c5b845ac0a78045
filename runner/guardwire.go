package runner

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GuardArg is the first argument that makes an executable whose main
// calls GuardMain a guard process (see Runner.Guard).
const GuardArg = "__lywatch_guard"

// The kinds of guardMsg.
const (
	msgPid    = "pid"    // the build started: its pid, which is its pgid
	msgExit   = "exit"   // the build's first process exited: its code
	msgSignal = "signal" // it was killed by a signal: its number
	msgLog    = "log"    // a diagnostic for Runner.Logf
	msgError  = "error"  // the build could not start or be cleaned up
)

// guardMsg is one line a guard writes on its status pipe: the kind, a
// space and the text as a Go quoted string ("exit \"0\"").
type guardMsg struct {
	kind, text string
}

func (m guardMsg) String() string { return m.kind + " " + strconv.Quote(m.text) + "\n" }

// parseGuardMsg reads one line of the status pipe, without its newline.
func parseGuardMsg(line string) (guardMsg, error) {
	kind, quoted, ok := strings.Cut(line, " ")
	if !ok {
		return guardMsg{}, fmt.Errorf("guard message %.80q: no space after the kind", line)
	}
	switch kind {
	case msgPid, msgExit, msgSignal, msgLog, msgError:
	default:
		return guardMsg{}, fmt.Errorf("guard message %.80q: unknown kind %.20q", line, kind)
	}
	text, err := strconv.Unquote(quoted)
	if err != nil || !strings.HasPrefix(quoted, `"`) {
		return guardMsg{}, fmt.Errorf("guard message %.80q: text is not a quoted string", line)
	}
	return guardMsg{kind, text}, nil
}

// number is the integer a pid, exit or signal message carries.
func (m guardMsg) number() (int, error) {
	n, err := strconv.Atoi(m.text)
	if err != nil {
		return 0, fmt.Errorf("guard message %s %q: not a number", m.kind, m.text)
	}
	return n, nil
}

// guardSpec is what a guard is told by its arguments: GuardArg, the grace
// period, a file to remove when it exits ("" for none), the number of
// files it passes on to the build (from its descriptor 5 on, as the
// build's 3 on), "--" and the build's command.
type guardSpec struct {
	grace  time.Duration
	remove string
	files  int
	argv   []string
}

// maxGuardFiles bounds guardSpec.files.
const maxGuardFiles = 16

func (s guardSpec) args() []string {
	return append([]string{GuardArg, s.grace.String(), s.remove, strconv.Itoa(s.files), "--"}, s.argv...)
}

// parseGuardArgs reads the arguments after the program name.
func parseGuardArgs(args []string) (guardSpec, error) {
	if len(args) < 6 || args[0] != GuardArg || args[4] != "--" {
		return guardSpec{}, fmt.Errorf("guard: arguments %.200q: want %s GRACE REMOVE FILES -- COMMAND [ARGS]", args, GuardArg)
	}
	grace, err := time.ParseDuration(args[1])
	if err != nil || grace <= 0 {
		return guardSpec{}, fmt.Errorf("guard: grace %q: want a positive duration", args[1])
	}
	files, err := strconv.Atoi(args[3])
	if err != nil || files < 0 || files > maxGuardFiles {
		return guardSpec{}, fmt.Errorf("guard: files %q: want a number from 0 to %d", args[3], maxGuardFiles)
	}
	if args[5] == "" {
		return guardSpec{}, errors.New("guard: empty command")
	}
	return guardSpec{grace: grace, remove: args[2], files: files, argv: args[5:]}, nil
}
