package watcher

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want string // String() of the parsed pattern
	}{
		{"", false, ""},
		{"# comment", false, ""},
		{`\#notcomment`, true, `\#notcomment`},
		{"foo", true, "foo"},
		{"foo/", true, "foo/"},
		{"/foo", true, "/foo"},
		{"!foo", true, "!foo"},
		{`\!foo`, true, `\!foo`},
		{"a/b/", true, "/a/b/"},
		{"**/foo", true, "**/foo"},
		{"a/**/**/b", true, "/a/**/b"},
		{"trailing   ", true, "trailing"},
		{`space\ `, true, `space\ `},
		{"/", false, ""},
		{"!", false, ""},
		{"bad[", false, ""},
		{"x\r", true, "x"},
		{"[!a]b", true, "[^a]b"},
	}
	for _, tc := range tests {
		p, ok := ParsePattern(tc.line)
		if ok != tc.ok {
			t.Errorf("ParsePattern(%q) ok = %v, want %v", tc.line, ok, tc.ok)
			continue
		}
		if ok && p.String() != tc.want {
			t.Errorf("ParsePattern(%q) = %q, want %q", tc.line, p.String(), tc.want)
		}
	}
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		dir     bool
		want    bool
	}{
		{"foo", "foo", false, true},
		{"foo", "a/b/foo", false, true},
		{"foo", "foo", true, true},
		{"foo", "foox", false, false},
		{"foo/", "foo", false, false},
		{"foo/", "foo", true, true},
		{"foo/", "a/foo", true, true},
		{"/foo", "foo", false, true},
		{"/foo", "a/foo", false, false},
		{"a/b", "a/b", false, true},
		{"a/b", "x/a/b", false, false},
		{"*.py", "x/y.py", false, true},
		{"*.py", "x/y.pyc", false, false},
		{"a/*.py", "a/y.py", false, true},
		{"a/*.py", "a/b/y.py", false, false},
		{"**/foo", "foo", false, true},
		{"**/foo", "a/b/foo", false, true},
		{"**/foo/bar", "a/foo/bar", false, true},
		{"a/**", "a/x", false, true},
		{"a/**", "a/x/y", false, true},
		{"a/**", "a", true, false},
		{"a/**/b", "a/b", false, true},
		{"a/**/b", "a/x/y/b", false, true},
		{"a/**/b", "a/x/y/c", false, false},
		{"?.py", "a.py", false, true},
		{"?.py", "ab.py", false, false},
		{"[abc].py", "b.py", false, true},
		{"[!abc].py", "b.py", false, false},
		{"[!abc].py", "d.py", false, true},
		{`\#x`, "#x", false, true},
		{`\!x`, "!x", false, true},
		{"**", "anything/at/all", false, true},
		{"*", "a/b", false, true},
		{"a*b", "a/b", false, false},
	}
	for _, tc := range tests {
		p, ok := ParsePattern(tc.pattern)
		if !ok {
			t.Fatalf("ParsePattern(%q) failed", tc.pattern)
		}
		if got := p.Match(tc.path, tc.dir); got != tc.want {
			t.Errorf("%q.Match(%q, dir=%v) = %v, want %v", tc.pattern, tc.path, tc.dir, got, tc.want)
		}
	}
}

func TestRulesLastMatchWins(t *testing.T) {
	r, err := ParseRules(".gitignore", []byte("*.py\n!keep.py\n# c\n\nsub/keep.py\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path             string
		ignored, matched bool
	}{
		{"a.py", true, true},
		{"keep.py", false, true},
		{"x/keep.py", false, true},
		{"sub/keep.py", true, true},
		{"a.txt", false, false},
	}
	for _, tc := range tests {
		ign, m := r.Match(tc.path, false)
		if ign != tc.ignored || m != tc.matched {
			t.Errorf("Match(%q) = %v, %v; want %v, %v", tc.path, ign, m, tc.ignored, tc.matched)
		}
	}
	if r.Len() != 3 {
		t.Errorf("Len = %d", r.Len())
	}
}

func TestBuiltinIgnores(t *testing.T) {
	r := mustRules(BuiltinIgnores())
	tests := []struct {
		path string
		dir  bool
		want bool
	}{
		{".git", true, true},
		{"a/__pycache__", true, true},
		{"build", true, true},
		{"a/build", true, false},
		{"build.py", false, false},
		{"a/.x.py.swp", false, true},
		{"a/x.py~", false, true},
		{".#x.py", false, true},
		{"x.py___jb_tmp___", false, true},
		{"4913", false, true},
		{"pkg/mod.py", false, false},
		{"pdk.egg-info", true, true},
	}
	for _, tc := range tests {
		if got, _ := r.Match(tc.path, tc.dir); got != tc.want {
			t.Errorf("builtin Match(%q, %v) = %v, want %v", tc.path, tc.dir, got, tc.want)
		}
	}
}

func TestIncludeExcludeGlobs(t *testing.T) {
	root := t.TempDir()
	o, err := Options{Roots: []string{root}, Include: []string{"**/*.py", "cfg/*.yaml"},
		Exclude: []string{"vendor/**", "**/test_*.py"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	f := newFilter(o, []string{root})
	tests := []struct {
		rel  string
		want bool
	}{
		{"a.py", true},
		{"x/y/z.py", true},
		{"cfg/a.yaml", true},
		{"cfg/sub/a.yaml", false},
		{"vendor/v.py", false},
		{"tests/test_a.py", false},
		{"tests/a_test.py", true},
		{"a.pyc", false},
		{"__pycache__/a.py", false},
	}
	for _, tc := range tests {
		if got := f.trackedDeep(root + "/" + tc.rel); got != tc.want {
			t.Errorf("tracked(%s) = %v, want %v", tc.rel, got, tc.want)
		}
	}
	if !f.skip(root+"/vendor", root, true) {
		t.Error("excluded directory vendor is not skipped")
	}
}

func TestIgnoreFilesAboveTheRoot(t *testing.T) {
	// The root is two levels below the git top: the .gitignore files of the
	// top and of the level between, and .git/info/exclude, apply to it.
	top := t.TempDir()
	for p, c := range map[string]string{
		".git/info/exclude": "excl_*.py\n",
		".gitignore":        "gen_*.py\n",
		"mid/.gitignore":    "local.py\n",
		"mid/src/a.py":      "",
	} {
		writeFile(t, filepath.Join(top, p), c)
	}
	root := filepath.Join(top, "mid", "src")
	o, err := Options{Roots: []string{root}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	f := newFilter(o, []string{root})
	for rel, want := range map[string]bool{"a.py": true, "gen_x.py": false, "local.py": false, "excl_y.py": false, "sub/local.py": false} {
		if got := f.trackedDeep(filepath.Join(root, rel)); got != want {
			t.Errorf("tracked(%s) = %v, want %v", rel, got, want)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"foo", "/a/**/b/", "!x*", `\#y`, "[!a-z]?", "**", "a/**", "  ", "x\\ "} {
		f.Add(s, "a/b/c.py", false)
	}
	f.Fuzz(func(t *testing.T, line, path string, dir bool) {
		p, ok := ParsePattern(line)
		if !ok {
			return
		}
		_ = p.Match(path, dir) // must not panic
		// Printing and parsing again gives the same pattern.
		q, ok := ParsePattern(p.String())
		if !ok {
			t.Fatalf("%q: String() %q does not parse", line, p.String())
		}
		if q.String() != p.String() {
			t.Fatalf("%q: round trip %q -> %q", line, p.String(), q.String())
		}
		if !strings.Contains(path, "\n") && p.Match(path, dir) != q.Match(path, dir) {
			t.Fatalf("%q and %q disagree on %q", p.String(), q.String(), path)
		}
	})
}
