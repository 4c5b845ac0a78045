package repocheck

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// notVariables are LYWATCH_ words in the sources that name no environment
// variable, each with where it is and what it is.
var notVariables = map[string]string{
	"LYWATCH_LAYERS": "render/render.py: the name of a scratch cell",
	"LYWATCH_LOG":    "bench/push/driver.py: an argument's placeholder in the usage line",
}

var envName = regexp.MustCompile(`LYWATCH_[A-Z0-9_]+\*?`)

// TestEveryVariableInTheREADME: every LYWATCH_* name in the Go, Python
// and shell sources (tests left out) is in the README's "Environment
// variables" section, where each is listed once (issue 10, defect 1). A
// name written there as LYWATCH_BENCH_* stands for all that begin so.
func TestEveryVariableInTheREADME(t *testing.T) {
	doc := section(t, readRepoFile(t, "README.md"), "### Environment variables")
	listed := map[string]bool{}
	var prefixes []string
	for _, n := range envName.FindAllString(doc, -1) {
		if p, ok := strings.CutSuffix(n, "*"); ok {
			prefixes = append(prefixes, p)
			continue
		}
		listed[n] = true
	}
	if len(listed) < 10 {
		t.Fatalf("the README's environment section lists %d variables; the test reads the wrong section", len(listed))
	}
	where := map[string][]string{}
	sources(t, []string{".go", ".py", ".sh"}, func(name, text string) {
		for _, n := range envName.FindAllString(text, -1) {
			n = strings.TrimSuffix(n, "*")
			if !listed[n] && notVariables[n] == "" && !hasPrefix(n, prefixes) && !slices.Contains(where[n], name) {
				where[n] = append(where[n], name)
			}
		}
	})
	var missing []string
	for n, files := range where {
		missing = append(missing, n+" ("+strings.Join(files, ", ")+")")
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s is not in the README's environment variables", m)
	}
}

func hasPrefix(n string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}
