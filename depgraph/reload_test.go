package depgraph

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// importersScript prints, for each module of a project directory, the
// project modules its top-level code imports (statements run on import:
// those in if, try and class bodies too, not those in functions), as
// Python's own ast reads them: {"module": ["imported", ...]}. "import
// a.b" uses a and a.b; "from a import b" uses a, and a.b if it is a module.
const importersScript = `import ast, json, os, sys
root = sys.argv[1]
mods = {}
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith(".py"):
            rel = os.path.relpath(os.path.join(d, f), root)[:-3].replace(os.sep, ".")
            if rel.endswith(".__init__"):
                rel = rel[: -len(".__init__")]
            mods[rel] = os.path.join(d, f)
def top_level(body):
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            yield from top_level(getattr(node, field, None) or [])
        for h in getattr(node, "handlers", None) or []:
            yield from top_level(h.body)
out = {}
for mod, path in mods.items():
    pkg = mod if path.endswith("__init__.py") else mod.rpartition(".")[0]
    got = set()
    for node in top_level(ast.parse(open(path).read()).body):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                got.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".") if pkg else []
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            got.add(base)
            got.update(base + "." + a.name for a in node.names)
    out[mod] = sorted(g for g in got if g in mods and g != mod)
print(json.dumps(out))
`

// TestReloadFollowsImporters: for a comment added to each module of the
// example PDK, Reload is that module and every module importing it,
// transitively, as Python's ast reads the imports.
func TestReloadFollowsImporters(t *testing.T) {
	py := testsupport.Python3(t)
	e := newPDK(t, Options{})
	out, err := exec.Command(py, "-c", importersScript, e.dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	var imports map[string][]string
	if err := json.Unmarshal(out, &imports); err != nil {
		t.Fatal(err)
	}
	importers := map[string][]string{}
	for m, deps := range imports {
		for _, d := range deps {
			importers[d] = append(importers[d], m)
		}
	}
	mods := make([]string, 0, len(imports))
	for m := range imports {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	for _, m := range mods {
		want := map[string]bool{m: true}
		queue := []string{m}
		for len(queue) > 0 {
			for _, i := range importers[queue[0]] {
				if !want[i] {
					want[i] = true
					queue = append(queue, i)
				}
			}
			queue = queue[1:]
		}
		var wantList []string
		for w := range want {
			wantList = append(wantList, w)
		}
		sort.Strings(wantList)
		rel := strings.ReplaceAll(m, ".", "/") + ".py"
		if _, err := os.Stat(filepath.Join(e.dir, rel)); err != nil {
			rel = strings.ReplaceAll(m, ".", "/") + "/__init__.py"
		}
		f, err := os.OpenFile(filepath.Join(e.dir, rel), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("\n# an edit\n")
		f.Close()
		inv := e.update(rel)
		if got := e.g.Reload(inv); !slices.Equal(got, wantList) {
			t.Errorf("a comment in %s: Reload = %v, want %v (its importers by Python's ast)", rel, got, wantList)
		}
	}
}

// TestFileHash: the graph tells the hash it read of its sources and data
// files, and nothing of a file it does not hold.
func TestFileHash(t *testing.T) {
	e := newPDK(t, Options{})
	p := filepath.Join(e.dir, "mypdk", "helpers.py")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := e.g.FileHash(p); got != hex.EncodeToString(sum[:]) {
		t.Errorf("FileHash(%s) = %q, want the file's SHA-256", p, got)
	}
	if got := e.g.FileHash(filepath.Join(e.dir, "nope.py")); got != "" {
		t.Errorf("FileHash of a file the graph does not hold = %q", got)
	}
}
