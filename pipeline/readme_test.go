package pipeline

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestREADMESummaryLines: the summary lines and the --json report the
// README shows after a good build list the after-build stages in the
// order the pipeline reports them (the push, which never waits for the
// save, before it), and their read notes are worded as the read stage
// words them.
func TestREADMESummaryLines(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var order []string
	for _, step := range (&Pipeline{}).afterBuild() {
		for _, st := range step {
			order = append(order, st.name())
		}
	}
	inOrder := func(names []string) bool {
		last := -1
		for _, n := range names {
			i := slices.Index(order, n)
			if i <= last {
				return false
			}
			last = i
		}
		return true
	}
	counts := regexp.MustCompile(`^(\d+) cells?, (\d+) changed(?:, (\d+) with changed children)?$`)
	checkNote := func(where, note string) {
		m := counts.FindStringSubmatch(note)
		if m == nil {
			t.Errorf("%s: read note %q is not the read stage's wording", where, note)
			return
		}
		n := make([]int, 3)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		if want := readNote(n[0], n[1], n[2]); note != want {
			t.Errorf("%s: read note %q, the read stage writes %q", where, note, want)
		}
	}
	lines := 0
	for _, line := range strings.Split(readme, "\n") {
		i := strings.Index(line, " → read ")
		if i < 0 {
			continue
		}
		lines++
		var names []string
		for _, part := range strings.Split(line[i+len(" → "):], " → ") {
			name, rest, _ := strings.Cut(part, " ")
			names = append(names, name)
			if name == "read" {
				open, close := strings.Index(rest, "("), strings.LastIndex(rest, ")")
				if open < 0 || close < open {
					t.Errorf("%q: the read step has no note", line)
					continue
				}
				checkNote(line, rest[open+1:close])
			}
		}
		if !inOrder(names) {
			t.Errorf("%q: stages %q, want them in the order %q", line, names, order)
		}
	}
	if lines < 3 {
		t.Errorf("found %d summary lines with a read step in the README; the test reads the wrong file", lines)
	}
	// The --json example: its stages in order, its read note.
	i := strings.Index(readme, `"stages":[`)
	if i < 0 {
		t.Fatal("no --json example with stages in the README")
	}
	block := readme[i:]
	block = block[:strings.Index(block, "```")]
	var names []string
	for _, m := range regexp.MustCompile(`\{"name":"(\w+)"`).FindAllStringSubmatch(block, -1) {
		names = append(names, m[1])
	}
	if len(names) < 3 || !inOrder(names) {
		t.Errorf("the --json example's stages %q, want them in the order %q", names, order)
	}
	if m := regexp.MustCompile(`"name":"read","duration_ms":[\d.]+,"note":"([^"]*)"`).FindStringSubmatch(block); m == nil {
		t.Error("the --json example's read stage has no note")
	} else {
		checkNote("the --json example", m[1])
	}
}
