package session

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var srcFiles = map[string]string{
	"pdk/__init__.py":  "from .straight import straight\n",
	"pdk/straight.py":  "from .helpers import width\ndef straight(): pass\n",
	"pdk/helpers.py":   "def width(): return 0.5\n",
	"scripts/build.py": "import pdk\n",
}

func srcPaths() []string {
	return []string{"pdk/__init__.py", "pdk/helpers.py", "pdk/straight.py", "scripts/build.py"}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	root := newRoot(t, srcFiles)
	ageFiles(t, root, srcPaths())
	s := openStore(t, root, Options{})
	m := testManifest(t, root, srcPaths(), 1)
	lay := layoutFile(t, t.TempDir(), 1, 5000)
	if err := s.Save("chip", m, lay); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, root, Options{})
	got, err := s.Load("chip")
	if err != nil || got == nil {
		t.Fatalf("Load: %v, %v", got, err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, m)
	}
	if got.Root != "../.." || got.Target != "chip" || got.Layout.File != cellsName {
		t.Errorf("filled fields: root %q target %q layout %q", got.Root, got.Target, got.Layout.File)
	}
	if c := gunzipFile(t, s.LayoutPath("chip")); c != layoutContent(1, 5000) {
		t.Errorf("stored layout differs")
	}
	if m, err := s.Load("other"); m != nil || err != nil {
		t.Errorf("Load of an unsaved target: %v, %v; want nil, nil", m, err)
	}
	v, err := Validate(context.Background(), root, got)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid() || v.Rehashed != 0 || v.Stated != 4 || !reflect.DeepEqual(v.Files, got.Files) {
		t.Errorf("nothing changed, but Validate says %+v", v)
	}
	targets, err := s.Targets()
	if err != nil || !reflect.DeepEqual(targets, []string{"chip"}) {
		t.Errorf("Targets = %v, %v", targets, err)
	}
}

func TestSaveGzipLayoutCopiedAsIs(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	lay := layoutFile(t, t.TempDir(), 1, 3000)
	if err := s.Save("a", testManifest(t, root, srcPaths(), 1), lay); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(t.TempDir(), "in.gds.gz")
	b, _ := os.ReadFile(s.LayoutPath("a"))
	writeFile(t, gz, string(b))
	if err := s.Save("b", testManifest(t, root, srcPaths(), 1), gz); err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(s.LayoutPath("b"))
	if string(b) != string(b2) {
		t.Error("a gzip layout was not stored byte for byte")
	}
}

func TestValidateReportsChanges(t *testing.T) {
	root := newRoot(t, srcFiles)
	ageFiles(t, root, srcPaths())
	s := openStore(t, root, Options{})
	m := testManifest(t, root, srcPaths(), 1)
	if err := s.Save("chip", m, layoutFile(t, t.TempDir(), 1, 100)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "pdk/helpers.py"), "def width(): return 0.8\n")
	os.Remove(filepath.Join(root, "scripts/build.py"))
	// Touched but unchanged: rehashed, not reported.
	os.Chtimes(filepath.Join(root, "pdk/straight.py"), oldTime.Add(1e9), oldTime.Add(1e9))
	v, err := Validate(context.Background(), root, m)
	if err != nil {
		t.Fatal(err)
	}
	got := v.ChangedRel()
	if want := []string{"pdk/helpers.py", "scripts/build.py"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("changed %v, want %v", got, want)
	}
	if v.Changed[0].Kind != Modified || v.Changed[1].Kind != Deleted || v.Changed[0].NewSHA256 == "" {
		t.Errorf("kinds: %+v", v.Changed)
	}
	if v.Rehashed != 2 || len(v.Files) != 3 {
		t.Errorf("rehashed %d files, kept %d entries; want 2, 3", v.Rehashed, len(v.Files))
	}
	if p := v.ChangedPaths()[0]; p != filepath.Join(root, "pdk", "helpers.py") {
		t.Errorf("ChangedPaths()[0] = %s", p)
	}
}

func TestRacyMtime(t *testing.T) {
	root := newRoot(t, srcFiles)
	paths := srcPaths()
	ageFiles(t, root, paths)
	// The session is written at the instant the files were last modified:
	// a same-size edit that keeps the mtime is only caught by the racy rule.
	for _, tc := range []struct {
		name    string
		written int64 // offset from the files' mtime, ns
		caught  bool
	}{
		{"mtime equal to write time", 0, true},
		{"mtime after write time", -5, true},
		{"mtime older than write time", 1e9, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testManifest(t, root, paths, 1)
			m.Written = oldTime.Add(time.Duration(tc.written))
			p := filepath.Join(root, "pdk/helpers.py")
			orig, _ := os.ReadFile(p)
			defer func() { writeFile(t, p, string(orig)); ageFiles(t, root, paths) }()
			writeFile(t, p, strings.Replace(string(orig), "0.5", "0.7", 1))
			ageFiles(t, root, paths)
			v, err := Validate(context.Background(), root, m)
			if err != nil {
				t.Fatal(err)
			}
			if caught := !v.Valid(); caught != tc.caught {
				t.Errorf("edit caught = %v, want %v (rehashed %d)", caught, tc.caught, v.Rehashed)
			}
		})
	}
}

func TestRecentFilesAreNotStatCached(t *testing.T) {
	root := newRoot(t, srcFiles) // just written: within the racy window
	files, err := HashFiles(context.Background(), root, srcPaths())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Size != -1 {
			t.Errorf("%s: freshly written file got a stat cache entry (size %d)", f.Path, f.Size)
		}
	}
	m := &Manifest{Files: files, Written: oldTime}
	v, err := Validate(context.Background(), root, m)
	if err != nil || !v.Valid() || v.Rehashed != len(files) {
		t.Errorf("uncached entries: %+v, %v; want all rehashed, none changed", v, err)
	}
}

func TestMovedCheckoutStaysValid(t *testing.T) {
	for _, how := range []string{"rename", "copy"} {
		t.Run(how, func(t *testing.T) {
			root := newRoot(t, srcFiles)
			ageFiles(t, root, srcPaths())
			s := openStore(t, root, Options{})
			if err := s.Save("chip", testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 100)); err != nil {
				t.Fatal(err)
			}
			s.Close()
			moved := filepath.Join(t.TempDir(), "elsewhere", "proj2")
			os.MkdirAll(filepath.Dir(moved), 0o755)
			if how == "rename" {
				if err := os.Rename(root, moved); err != nil {
					t.Fatal(err)
				}
			} else if out, err := exec.Command("cp", "-r", root, moved).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v %s", err, out)
			}
			s = openStore(t, moved, Options{})
			m, err := s.Load("chip")
			if err != nil || m == nil {
				t.Fatalf("moved checkout: Load = %v, %v", m, err)
			}
			v, err := Validate(context.Background(), moved, m)
			if err != nil || !v.Valid() {
				t.Fatalf("moved checkout: Validate = %+v, %v", v, err)
			}
			if how == "rename" && v.Rehashed != 0 {
				t.Errorf("rename kept every stat, yet %d files were rehashed", v.Rehashed)
			}
		})
	}
}

func TestForeignSession(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	if err := s.Save("chip", testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 100)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The same session directory opened for another root.
	other := newRoot(t, srcFiles)
	s2, err := Open(DefaultDir(root), Options{Root: other})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	m, err := s2.Load("chip")
	if m != nil || !IsWarning(err) || !errors.Is(err, ErrForeign) {
		t.Errorf("foreign session: Load = %v, %v; want nil and a foreign warning", m, err)
	}
}

func TestSaveValidatesPaths(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	m := testManifest(t, root, srcPaths(), 1)
	for _, bad := range []string{"/abs/outside.py", "pdk/../x.py", "./x.py", ""} {
		m := testManifest(t, root, srcPaths(), 1)
		m.Files = append(m.Files, File{Path: bad, SHA256: "x"})
		if err := s.Save("chip", m, layoutFile(t, t.TempDir(), 1, 100)); err == nil {
			t.Errorf("Save accepted the tracked path %q", bad)
		}
	}
	// A source above the root (an editable install in another checkout)
	// is tracked by a clean ../ path.
	m.Files = append([]File{{Path: "../other/pdk.py", SHA256: "x"}}, m.Files...)
	if err := s.Save("chip", m, layoutFile(t, t.TempDir(), 1, 100)); err != nil {
		t.Errorf("Save refused a source above the root: %v", err)
	}
	if err := s.Save("", testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 100)); err == nil {
		t.Error("Save accepted an empty target")
	}
}

func TestCrashBetweenManifestAndRenameRollsForward(t *testing.T) {
	root := newRoot(t, srcFiles)
	build := filepath.Join(root, "build")
	a, err := Open(filepath.Join(build, "a"), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(filepath.Join(build, "b"), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tmp := t.TempDir()
	if err := a.Save("chip", testManifest(t, root, srcPaths(), 1), layoutFile(t, tmp, 1, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := b.Save("chip", testManifest(t, root, srcPaths(), 2), layoutFile(t, tmp, 2, 1000)); err != nil {
		t.Fatal(err)
	}
	// a now looks like a save of generation 2 that stopped after its commit.
	copyFile(t, filepath.Join(b.TargetDir("chip"), manifestName), filepath.Join(a.TargetDir("chip"), manifestName))
	copyFile(t, b.LayoutPath("chip"), a.LayoutPath("chip")+nextSuffix)
	m, err := a.Load("chip")
	if err != nil || m == nil || m.Meta["gen"] != "2" {
		t.Fatalf("Load after an interrupted save = %v, %v; want generation 2", m, err)
	}
	if c := gunzipFile(t, a.LayoutPath("chip")); c != layoutContent(2, 1000) {
		t.Error("the committed layout was not rolled into place")
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(b))
}

func TestClear(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	for _, tg := range []string{"a", "b/c"} {
		if err := s.Save(tg, testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Targets(); !reflect.DeepEqual(got, []string{"a", "b/c"}) {
		t.Fatalf("Targets = %v", got)
	}
	if err := s.Clear("a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Targets(); !reflect.DeepEqual(got, []string{"b/c"}) {
		t.Fatalf("after Clear(a): %v", got)
	}
	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Targets(); len(got) != 0 {
		t.Fatalf("after Clear(): %v", got)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), lockName)); err != nil {
		t.Errorf("Clear removed the lock file: %v", err)
	}
}

func TestEscapeTarget(t *testing.T) {
	for _, tg := range []string{"chip", "a/b", "..", ".hidden", "x y%z", "ünï", "a.b-c_d"} {
		e := escapeTarget(tg)
		if strings.ContainsAny(e, "/ ") || e == ".." || strings.HasPrefix(e, ".") {
			t.Errorf("escapeTarget(%q) = %q", tg, e)
		}
		if got, ok := unescapeTarget(e); !ok || got != tg {
			t.Errorf("unescapeTarget(%q) = %q, %v; want %q", e, got, ok, tg)
		}
	}
	for _, bad := range []string{"%zz", "%4", "%61"} {
		if _, ok := unescapeTarget(bad); ok {
			t.Errorf("unescapeTarget(%q) accepted", bad)
		}
	}
}
