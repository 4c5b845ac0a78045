package runner

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// warmSpec is a build command as a warm worker runs it: the interpreter
// the worker keeps, and the entry it runs again for each build.
type warmSpec struct {
	// kind is "python" or "klayout".
	kind string
	// argv is the worker's command with driverArg where the entry script
	// was (python3 OPTIONS DRIVER; klayout OPTIONS -r DRIVER OPTIONS).
	argv []string
	// script is the entry script as the command names it, or "" with
	// module (python3 -m module).
	script, module string
	// args are the entry's arguments (sys.argv[1:]; python only).
	args []string
}

// driverArg stands for the driver's path in warmSpec.argv.
const driverArg = "\x00driver"

// worker returns the worker's command with the driver's path filled in.
func (s *warmSpec) worker(driver string) []string {
	out := slices.Clone(s.argv)
	for i, a := range out {
		if a == driverArg {
			out[i] = driver
		}
	}
	return out
}

var (
	pythonProgram  = regexp.MustCompile(`^python[0-9.]*$`)
	klayoutProgram = regexp.MustCompile(`^klayout(_app)?$`)
)

// parseWarm reads a build command as a warm worker would run it: python3
// [OPTIONS] SCRIPT [ARGS] or python3 [OPTIONS] -m MODULE [ARGS], or klayout
// in batch mode (-b or -zz) with one -r SCRIPT; also either of these as
// the string of sh -c (or bash -c) when it is plain words. The error says
// why a command cannot run warm.
func parseWarm(command []string) (*warmSpec, error) {
	words := command
	if len(words) == 3 && (filepath.Base(words[0]) == "sh" || filepath.Base(words[0]) == "bash") && words[1] == "-c" {
		w, err := shellWords(words[2])
		if err != nil {
			return nil, fmt.Errorf("%s -c %q: %w", words[0], words[2], err)
		}
		words = w
	}
	if len(words) == 0 {
		return nil, errors.New("no command")
	}
	base := filepath.Base(words[0])
	switch {
	case pythonProgram.MatchString(base):
		return parsePython(words)
	case klayoutProgram.MatchString(base):
		return parseKLayout(words)
	}
	return nil, fmt.Errorf("%s is neither python3 nor klayout", words[0])
}

// Python's options that take a value (-W arg, -X opt; also written -Wx).
const pythonValueOptions = "WX"

// Python's options that make no sense for a build kept warm.
const pythonRefused = "ichV"

func parsePython(words []string) (*warmSpec, error) {
	s := &warmSpec{kind: "python", argv: []string{words[0]}}
	entry := func(script string, args []string) (*warmSpec, error) {
		if script == "" || script == "-" {
			return nil, errors.New("python: no script (a script read from standard input cannot run warm)")
		}
		s.script, s.args = script, slices.Clone(args)
		s.argv = append(s.argv, driverArg)
		return s, nil
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-m":
			if i+1 >= len(words) || words[i+1] == "" {
				return nil, errors.New("python -m: no module")
			}
			s.module, s.args = words[i+1], slices.Clone(words[i+2:])
			s.argv = append(s.argv, driverArg)
			return s, nil
		case w == "--":
			if i+1 >= len(words) {
				return nil, errors.New("python: no script")
			}
			return entry(words[i+1], words[i+2:])
		case w == "" || w == "-" || !strings.HasPrefix(w, "-"):
			return entry(w, words[i+1:])
		case strings.HasPrefix(w, "--"):
			return nil, fmt.Errorf("python option %s: not supported warm", w)
		}
		// A cluster of one-letter options: -uB, -Werror, -X dev.
		s.argv = append(s.argv, w)
		for j := 1; j < len(w); j++ {
			c := w[j]
			if strings.IndexByte(pythonRefused, c) >= 0 {
				return nil, fmt.Errorf("python option -%c: not supported warm", c)
			}
			if strings.IndexByte(pythonValueOptions, c) >= 0 {
				if j == len(w)-1 {
					if i+1 >= len(words) {
						return nil, fmt.Errorf("python option -%c: no value", c)
					}
					i++
					s.argv = append(s.argv, words[i])
				}
				break
			}
		}
	}
	return nil, errors.New("python: no script")
}

// KLayout options that take a value, as KLayout 0.28 lists them.
var klayoutValueOptions = []string{"-c", "-d", "-e", "-l", "-m", "-n", "-p", "-r", "-rd", "-rm", "-rx", "-s", "-t", "-u", "-wd", "-x", "-y", "-j", "-nn", "-cfg", "-style"}

func parseKLayout(words []string) (*warmSpec, error) {
	s := &warmSpec{kind: "klayout", argv: []string{words[0]}}
	batch := false
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch w {
		case "-b", "-zz":
			batch = true
		case "-rm", "-rx", "-x", "-y", "-m":
			return nil, fmt.Errorf("klayout %s: not supported warm (one -r SCRIPT)", w)
		}
		s.argv = append(s.argv, w)
		if !slices.Contains(klayoutValueOptions, w) {
			continue
		}
		if i+1 >= len(words) {
			return nil, fmt.Errorf("klayout %s: no value", w)
		}
		i++
		if w != "-r" {
			s.argv = append(s.argv, words[i])
			continue
		}
		if s.script != "" {
			return nil, errors.New("klayout: more than one -r script")
		}
		s.script = words[i]
		s.argv = append(s.argv, driverArg)
	}
	switch {
	case !batch:
		return nil, errors.New("klayout: not in batch mode (-b or -zz)")
	case s.script == "":
		return nil, errors.New("klayout: no -r script")
	}
	return s, nil
}

// shellWords splits a command line the way sh would, for lines made of
// plain words, 'single' and "double" quotes and backslashes only: anything
// the shell would expand or redirect is an error.
func shellWords(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("byte %d: unterminated quote", i)
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				switch line[i] {
				case '$', '`':
					return nil, fmt.Errorf("byte %d: %q expands: not a plain command", i, line[i])
				case '\\':
					if i+1 < len(line) && strings.IndexByte("\"\\", line[i+1]) >= 0 {
						i++
					}
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 >= len(line) || line[i+1] == '\n' {
				return nil, fmt.Errorf("byte %d: backslash at the end of a line", i)
			}
			i++
			cur.WriteByte(line[i])
			inWord = true
		case strings.IndexByte("|&;<>()$`*?[]{}\n\r", c) >= 0,
			!inWord && (c == '#' || c == '~'),
			c == '=' && len(out) == 0:
			return nil, fmt.Errorf("byte %d: %q: not a plain command", i, c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
