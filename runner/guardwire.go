package runner

import (
	"encoding/binary"
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

// spareMode is the argument after GuardArg that makes a guard process a
// spare: started ahead of time, it waits on its descriptor 3 (a Unix
// socket) for the build it is to guard (a spareMsg and the descriptors)
// and exits as soon as the socket reaches EOF.
const spareMode = "spare"

// maxSpareMsg bounds an encoded spareMsg. The environment is the bulk of
// it (EnvChanged alone may hold ChangedLimit bytes); a message that does
// not fit is not sent, and the build gets a guard of its own.
const maxSpareMsg = 8 << 20

// spareMsg is what lywatch sends a spare guard beside the descriptors the
// guard would otherwise inherit: its arguments (guardSpec.args), the
// directory to run the build in ("" for the spare's own, which is
// lywatch's) and the build's environment.
type spareMsg struct {
	args []string
	dir  string
	env  []string
}

// encode writes m as the length of the rest, then the arguments, the
// directory and the environment, each list as its count and each string as
// its length and bytes; numbers are big-endian uint32s.
func (m spareMsg) encode() ([]byte, error) {
	n := 4 + 4 + 4 + len(m.dir) + 4
	for _, s := range m.args {
		n += 4 + len(s)
	}
	for _, s := range m.env {
		n += 4 + len(s)
	}
	if n > maxSpareMsg {
		return nil, fmt.Errorf("spare guard message of %d bytes: more than %d", n, maxSpareMsg)
	}
	b := make([]byte, 4, n)
	binary.BigEndian.PutUint32(b, uint32(n-4))
	b = appendStrings(b, m.args)
	b = appendString(b, m.dir)
	b = appendStrings(b, m.env)
	return b, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// spareMsgLen reads the length at the head of an encoded spareMsg: the
// bytes that follow it.
func spareMsgLen(head [4]byte) (int, error) {
	n := binary.BigEndian.Uint32(head[:])
	if n > maxSpareMsg-4 {
		return 0, fmt.Errorf("spare guard message of %d bytes: more than %d", n, maxSpareMsg)
	}
	return int(n), nil
}

// decodeSpareMsg reads the body of an encoded spareMsg: what follows the
// length.
func decodeSpareMsg(b []byte) (spareMsg, error) {
	d := wireReader{b: b}
	m := spareMsg{args: d.strings(), dir: d.string(), env: d.strings()}
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes after the end", len(d.b))
	}
	if d.err != nil {
		return spareMsg{}, fmt.Errorf("spare guard message: %w", d.err)
	}
	return m, nil
}

// wireReader reads the numbers and strings of a spareMsg, keeping the
// first error.
type wireReader struct {
	b   []byte
	err error
}

func (d *wireReader) uint32() int {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 4 {
		d.err = errors.New("cut short")
		return 0
	}
	n := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return int(n)
}

func (d *wireReader) string() string {
	n := d.uint32()
	if d.err != nil {
		return ""
	}
	if n > len(d.b) {
		d.err = errors.New("cut short")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *wireReader) strings() []string {
	n := d.uint32()
	if d.err == nil && n > len(d.b)/4 { // each string takes 4 bytes at least
		d.err = fmt.Errorf("%d strings in %d bytes", n, len(d.b))
	}
	if d.err != nil {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.string()
	}
	return ss
}
