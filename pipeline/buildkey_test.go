package pipeline

import (
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestBuildEnv: the build key holds the LYWATCH_* settings a user gives a
// build (a corner), never lywatch's own variables: not the token, a
// secret, nor those that change from build to build.
func TestBuildEnv(t *testing.T) {
	tests := []struct {
		environ []string
		want    map[string]string
	}{
		{nil, nil},
		{[]string{"HOME=/h", "LYWATCH_CORNER=ff"}, map[string]string{"LYWATCH_CORNER": "ff"}},
		{[]string{"LYWATCH_TOKEN=s3cret", "LYWATCH_TOKEN_FILE=/t", "LYWATCH_CYCLE=3", "LYWATCH_TRACE_FRAMES=10"}, nil},
		{[]string{"LYWATCH_BENCH_GDS=/x.gds", "LYWATCH_LAUNCHED=1", "LYWATCH_VARIANT=a"}, map[string]string{"LYWATCH_VARIANT": "a"}},
	}
	for _, tc := range tests {
		if got := buildEnv(tc.environ); !maps.Equal(got, tc.want) {
			t.Errorf("buildEnv(%q) = %v, want %v", tc.environ, got, tc.want)
		}
	}
}

// TestOwnEnvIsTheREADMEs: every variable the README's "Environment
// variables" section lists is left out of the build key, as the section
// says.
func TestOwnEnvIsTheREADMEs(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "\n### Environment variables\n")
	if i < 0 {
		t.Fatal("no Environment variables section in the README")
	}
	doc = doc[i+1:]
	if j := strings.Index(doc[4:], "\n### "); j >= 0 {
		doc = doc[:j+4]
	}
	names := regexp.MustCompile(`LYWATCH_[A-Z0-9_]+\*?`).FindAllString(doc, -1)
	if len(names) < 10 {
		t.Fatalf("%d variables in the README's section; the test reads the wrong part", len(names))
	}
	for _, n := range names {
		if !isOwnEnv(strings.Replace(n, "*", "X", 1)) {
			t.Errorf("%s, in the README's environment variables, would go into the build key", n)
		}
	}
}
