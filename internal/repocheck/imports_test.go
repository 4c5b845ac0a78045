package repocheck

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/lywatch/lywatch/"

// importRules are the rules of docs/architecture.md's "What must never
// import what": a package (a folder of the module, "*" for every one)
// never imports, even through another package, the folders listed.
var importRules = map[string][]string{
	"gds/":      {"session/", "depgraph/", "ipc/", "klayout/"},
	"session/":  {"depgraph/"},
	"depgraph/": {"session/", "watcher/"},
	"watcher/":  {"depgraph/"},
	"runner/":   {"watcher/", "loop/", "depgraph/"},
	"loop/":     {"pipeline/", "depgraph/", "session/", "gds/"},
	"ipc/":      {"depgraph/", "runner/", "loop/", "pipeline/"},
	"klayout/":  {"depgraph/", "runner/", "loop/", "pipeline/"},
	"config/":   {"ipc/", "klayout/", "watcher/", "runner/", "loop/"},
	"project/":  {"depgraph/", "ipc/", "klayout/", "geomdiff/"},
	"geomdiff/": {"session/", "depgraph/", "ipc/"},
	"tracing/":  {"session/", "ipc/", "klayout/"},
	"replay/":   {"session/", "pipeline/"},
	"render/":   {"session/", "runner/", "loop/", "pipeline/"},
	"*":         {"cmd/"},
}

// TestImportRules: the table in docs/architecture.md is importRules, and
// no package of the module depends, directly or not, on one its rules
// forbid (go list -deps, the packages as built for this platform).
func TestImportRules(t *testing.T) {
	doc := section(t, readRepoFile(t, "docs/architecture.md"), "## What must never import what")
	row := regexp.MustCompile("(?m)^\\| (`[a-z/]+`|every package) \\| ([^|]+) \\|")
	folder := regexp.MustCompile("`([a-z/]+)`")
	inDoc := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		pkg := strings.Trim(m[1], "`")
		if pkg == "every package" {
			pkg = "*"
		}
		for _, f := range folder.FindAllStringSubmatch(m[2], -1) {
			inDoc[pkg] = append(inDoc[pkg], f[1])
		}
	}
	if !maps.EqualFunc(inDoc, importRules, slices.Equal) {
		t.Errorf("docs/architecture.md's rules %v differ from the test's %v", inDoc, importRules)
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderrOf(err))
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		n++
		for _, dep := range fields[1:] {
			dep, ok := strings.CutPrefix(dep, module)
			if !ok {
				continue
			}
			for from, never := range importRules {
				if from != "*" && !under(pkg, from) {
					continue
				}
				for _, x := range never {
					if under(dep, x) {
						t.Errorf("%s imports %s (directly or through another package): %s must never import %s", pkg, dep, from, x)
					}
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("go list found %d packages of the module", n)
	}
}

// under reports whether the package path pkg lies in the folder dir
// ("gds/": gds and gds/anything).
func under(pkg, dir string) bool {
	return pkg+"/" == dir || strings.HasPrefix(pkg, dir)
}

// stderrOf returns what a failed command wrote on stderr.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
