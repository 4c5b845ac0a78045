package depgraph

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// oracleRecord is one line of scripts/pyoracle.py's output.
type oracleRecord struct {
	Path    string            `json:"path"`
	Error   string            `json:"error"`
	Imports []json.RawMessage `json:"imports"`
	Defs    []json.RawMessage `json:"defs"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runOracle returns ast's view of files, running the oracle script once in
// one python process; its output is cached under the user cache dir, keyed
// by the python version, the script and every file's size and mtime.
func runOracle(t *testing.T, python string, files []string) map[string]oracleRecord {
	t.Helper()
	script := filepath.Join(repoRoot(t), "scripts", "pyoracle.py")
	scriptSrc, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	ver, _ := exec.Command(python, "--version").CombinedOutput()
	h := sha256.New()
	h.Write(ver)
	h.Write(scriptSrc)
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", f, st.Size(), st.ModTime().UnixNano())
	}
	key := hex.EncodeToString(h.Sum(nil))[:24]
	var out []byte
	cacheDir, cerr := os.UserCacheDir()
	cache := ""
	if cerr == nil {
		cache = filepath.Join(cacheDir, "lywatch", "pyoracle-"+key+".jsonl")
		out, _ = os.ReadFile(cache)
	}
	if out == nil {
		cmd := exec.Command(python, script)
		cmd.Stdin = strings.NewReader(strings.Join(files, "\n") + "\n")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err = cmd.Output()
		if err != nil {
			t.Fatalf("oracle: %v\n%s", err, stderr.String())
		}
		if cache != "" && os.MkdirAll(filepath.Dir(cache), 0o755) == nil {
			_ = os.WriteFile(cache, out, 0o644)
		}
	}
	recs := map[string]oracleRecord{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var r oracleRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("oracle output: %v", err)
		}
		recs[r.Path] = r
	}
	return recs
}

func pyFiles(t *testing.T, root string, skip func(string) bool) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && skip != nil && skip(p) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".py") && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// scannerView renders the scanner's result in the oracle's shape.
func scannerView(fi *FileInfo) (imports, defs []string) {
	for _, im := range fi.Imports {
		var v []any
		if im.From() {
			v = []any{im.Module, im.Names, im.Level, im.Line}
		} else {
			v = []any{im.Module, nil, 0, im.Line}
		}
		b, _ := json.Marshal(v)
		imports = append(imports, string(b))
	}
	for _, d := range fi.Defs {
		b, _ := json.Marshal([]any{d.Name, d.Kind, d.Line, d.EndLine})
		defs = append(defs, string(b))
	}
	sort.Strings(imports)
	return imports, defs
}

func rawStrings(raw []json.RawMessage, sorted bool) []string {
	var out []string
	for _, r := range raw {
		var v any
		_ = json.Unmarshal(r, &v)
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	if sorted {
		sort.Strings(out)
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("scanner %s, ast %s", x, y)
		}
	}
	return ""
}

// compareWithOracle scans files and compares with ast; it returns the
// mismatching files with a description and the number of files compared.
func compareWithOracle(t *testing.T, python string, files []string) (map[string]string, int) {
	recs := runOracle(t, python, files)
	bad := map[string]string{}
	n := 0
	for _, f := range files {
		r, ok := recs[f]
		if !ok {
			t.Fatalf("oracle gave nothing for %s", f)
		}
		if r.Error != "" {
			continue
		}
		n++
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := ScanSource(f, "", src, nil)
		if err != nil {
			bad[f] = "scanner error: " + err.Error()
			continue
		}
		imps, defs := scannerView(fi)
		if d := firstDiff(imps, rawStrings(r.Imports, true)); d != "" {
			bad[f] = "imports: " + d
		} else if d := firstDiff(defs, rawStrings(r.Defs, false)); d != "" {
			bad[f] = "defs: " + d
		}
	}
	return bad, n
}

// python finds the interpreter for the oracle: $LYWATCH_PYTHON (to check
// against another Python version's ast and stdlib), else python3.
func python(t *testing.T) string {
	t.Helper()
	name := "python3"
	if p := os.Getenv("LYWATCH_PYTHON"); p != "" {
		name = p
	}
	if name == "python3" {
		return testsupport.Python3(t) // fails in CI, skips elsewhere
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("LYWATCH_PYTHON=%s: %v", name, err)
	}
	return p
}

// checkMismatches fails the test for every file where the scanner and ast
// disagree.
func checkMismatches(t *testing.T, bad map[string]string, n int) {
	t.Helper()
	for _, f := range slices.Sorted(maps.Keys(bad)) {
		t.Errorf("%s: %s", f, bad[f])
	}
	t.Logf("%d files compared with ast, %d mismatches", n, len(bad))
}

// TestOracleStdlib compares the scanner with Python's ast on every .py file
// of the standard library (site-packages excluded).
func TestOracleStdlib(t *testing.T) {
	py := python(t)
	out, err := exec.Command(py, "-c", `import sysconfig; print(sysconfig.get_paths()["stdlib"])`).Output()
	if err != nil {
		t.Skipf("python3 cannot tell its stdlib: %v", err)
	}
	stdlib := strings.TrimSpace(string(out))
	all := os.Getenv("LYWATCH_ORACLE_ALL") != "" // site-packages too: a longer, wider check
	files := pyFiles(t, stdlib, func(p string) bool {
		b := filepath.Base(p)
		return b == "__pycache__" || (!all && (b == "site-packages" || b == "dist-packages"))
	})
	if testing.Short() {
		var some []string
		for i := 0; i < len(files); i += 10 {
			some = append(some, files[i])
		}
		files = some
	}
	bad, n := compareWithOracle(t, py, files)
	checkMismatches(t, bad, n)
}

// TestOraclePDK does the same on the example PDK.
func TestOraclePDK(t *testing.T) {
	py := python(t)
	dir := filepath.Join(repoRoot(t), "testdata", "pdk")
	files := pyFiles(t, dir, nil)
	files = append(files, pyFiles(t, filepath.Join("testdata"), nil)...)
	if len(files) == 0 {
		t.Skip("no example PDK yet")
	}
	bad, n := compareWithOracle(t, py, files)
	checkMismatches(t, bad, n)
}
