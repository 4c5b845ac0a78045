package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagWord is a flag as the README writes it, before any "=value".
var flagWord = regexp.MustCompile(`^--[a-z][a-z0-9-]*`)

// inlineCommand is a command in the README's prose: `lywatch ...`.
var inlineCommand = regexp.MustCompile("`(lywatch [^`]+)`")

// TestREADMECommandsUseRealFlags: every lywatch command line in the
// README's code blocks names flags its subcommand has, as `lywatch help`
// prints them (a renamed flag left in an example fails here).
func TestREADMECommandsUseRealFlags(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	usage := map[string]string{} // "klayout start" -> its usage text
	help := func(words []string) string {
		key := strings.Join(words, " ")
		if u, ok := usage[key]; ok {
			return u
		}
		code, out, errb := runCmd(t, append([]string{"help"}, words...)...)
		u := ""
		if code == exitOK && strings.Contains(out+errb, "Usage") {
			u = out + errb
		}
		usage[key] = u
		return u
	}
	checked := 0
	check := func(at int, line string) {
		if j := strings.IndexAny(line, "#|&;>"); j >= 0 {
			line = line[:j]
		}
		words := strings.Fields(line)[1:]
		// The subcommand: its leading words that are not flags; the
		// longest that has a usage of its own (else the watch loop's).
		var sub []string
		for _, w := range words {
			if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[") || len(sub) == 2 {
				break
			}
			sub = append(sub, w)
		}
		u, name := "", "lywatch"
		for n := len(sub); n >= 0 && u == ""; n-- {
			if n == 0 {
				u = help([]string{"watch"})
				break
			}
			if u = help(sub[:n]); u != "" {
				name = "lywatch " + strings.Join(sub[:n], " ")
			}
		}
		if u == "" {
			t.Errorf("README.md:%d: no usage for %q", at, line)
			return
		}
		checked++
		for _, w := range words {
			if w == "--" {
				break // the build command's own words follow
			}
			f := flagWord.FindString(strings.TrimLeft(w, "["))
			if f == "" {
				continue
			}
			if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(f) + `\b`).MatchString(u) {
				t.Errorf("README.md:%d: %s has no flag %s: %q", at, name, f, line)
			}
		}
	}
	inBlock := false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		if !inBlock {
			// Commands in the prose, as `lywatch ...`.
			for _, m := range inlineCommand.FindAllStringSubmatch(line, -1) {
				check(i+1, m[1])
			}
			continue
		}
		if line = strings.TrimPrefix(strings.TrimSpace(line), "$ "); strings.HasPrefix(line, "lywatch ") {
			check(i+1, line)
		}
	}
	if checked < 80 {
		t.Errorf("checked %d command lines; the README has more (is the parsing wrong?)", checked)
	}
}
