package depgraph

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// siteFixture writes, under root, checkouts installed in editable mode
// the three ways installers do it, and a site-packages directory pointing
// to them, with two ordinary distributions beside; it returns the
// site-packages directory.
func siteFixture(t *testing.T, root string) string {
	t.Helper()
	site := filepath.Join(root, "venv", "lib", "python3.11", "site-packages")
	files := map[string]string{
		// a .pth path line (pdm, hatchling, setuptools for a src layout)
		"checkouts/extpdk/src/extpdk/__init__.py":   "from extpdk.cells import ring\n",
		"checkouts/extpdk/src/extpdk/cells.py":      "def cell(f):\n    return f\n\n\n@cell\ndef ring():\n    return 1\n",
		"venv/lib/python3.11/site-packages/ext.pth": filepath.Join(root, "checkouts/extpdk/src") + "\n",
		// setuptools' __editable__ finder
		"checkouts/fancy/fancy/__init__.py":                                       "def helper():\n    return 2\n",
		"checkouts/fancy/setup_notes.py":                                          "raise SystemExit('not a module of the package')\n",
		"venv/lib/python3.11/site-packages/__editable__.fancy-0.1.pth":            "import __editable___fancy_0_1_finder; __editable___fancy_0_1_finder.install()\n",
		"venv/lib/python3.11/site-packages/__editable___fancy_0_1_finder.py":      "import sys\nMAPPING: dict[str, str] = {'fancy': '" + filepath.Join(root, "checkouts/fancy/fancy") + "'}\nNAMESPACES = {}\n",
		"venv/lib/python3.11/site-packages/fancy-0.1.dist-info/top_level.txt":     "fancy\n",
		"venv/lib/python3.11/site-packages/fancy-0.1.dist-info/RECORD":            "__editable__.fancy-0.1.pth,,\n",
		"venv/lib/python3.11/site-packages/_hatchpkg.pth":                         "import _editable_impl_hatchpkg\n",
		"venv/lib/python3.11/site-packages/_editable_impl_hatchpkg.py":            "from editables.redirector import RedirectingFinder as F\nF.install()\nF.map_module('hatchpkg', '" + filepath.Join(root, "checkouts/hatch/hatchpkg/__init__.py") + "')\n",
		"checkouts/hatch/hatchpkg/__init__.py":                                    "def value():\n    return 3\n",
		"venv/lib/python3.11/site-packages/numpylike/__init__.py":                 "def array():\n    return []\n",
		"venv/lib/python3.11/site-packages/numpylike-1.2.3.dist-info/RECORD":      "numpylike/__init__.py,sha256=x,1\nnumpylike-1.2.3.dist-info/RECORD,,\n",
		"venv/lib/python3.11/site-packages/otherdist-2.0.dist-info/top_level.txt": "othermod\n",
		"venv/lib/python3.11/site-packages/othermod.py":                           "X = 1\n",
		// the project
		"proj/chip.py": `import math

import numpylike
import othermod
from extpdk import ring
from fancy import helper
from hatchpkg import value


def cell(f):
    return f


@cell
def uses_ring():
    return ring()


@cell
def uses_helper():
    return helper() + value()


@cell
def uses_numpy():
    return numpylike.array()


@cell
def uses_math():
    return math.pi
`,
	}
	for name, src := range files {
		write(t, root, name, src)
	}
	return site
}

// TestEditableInstalls checks that checkouts installed in editable mode
// are scanned and tracked like the project, and reported for watching.
func TestEditableInstalls(t *testing.T) {
	root := t.TempDir()
	site := siteFixture(t, root)
	proj := filepath.Join(root, "proj")
	g, err := Scan(context.Background(), Options{Dir: proj, SitePackages: []string{site}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "checkouts/extpdk/src"), filepath.Join(root, "checkouts/fancy/fancy"), filepath.Join(root, "checkouts/hatch/hatchpkg")}
	slices.Sort(want)
	if got := g.ExtraRoots(); !slices.Equal(got, want) {
		t.Errorf("ExtraRoots = %q, want %q", got, want)
	}
	files, err := g.SourceFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"checkouts/extpdk/src/extpdk/cells.py", "checkouts/fancy/fancy/__init__.py", "checkouts/hatch/hatchpkg/__init__.py", "proj/chip.py"} {
		if !slices.Contains(files, filepath.Join(root, f)) {
			t.Errorf("SourceFiles lacks %s", f)
		}
	}
	if slices.Contains(files, filepath.Join(root, "checkouts/fancy/setup_notes.py")) {
		t.Error("SourceFiles has a file outside the mapped package")
	}
	for _, tc := range []struct{ file, old, new, factory string }{
		{"checkouts/extpdk/src/extpdk/cells.py", "return 1", "return 2", "uses_ring"},
		{"checkouts/fancy/fancy/__init__.py", "return 2", "return 3", "uses_helper"},
		{"checkouts/hatch/hatchpkg/__init__.py", "return 3", "return 4", "uses_helper"},
	} {
		p, inv := editAt(t, g, root, tc.file, tc.old, tc.new)
		if !slices.Contains(inv.Factories, tc.factory) || slices.Contains(inv.Factories, "uses_numpy") {
			t.Errorf("edit of %s: factories %v, want %s", tc.file, inv.Factories, tc.factory)
		}
		if len(inv.Files) != 1 || inv.Files[0] != filepath.ToSlash(p) {
			t.Errorf("edit of %s: files %v", tc.file, inv.Files)
		}
	}
}

// TestPackageVersions checks that imports of installed packages are
// recorded with their versions, kept in snapshots, and that an upgrade
// invalidates what imports the package.
func TestPackageVersions(t *testing.T) {
	root := t.TempDir()
	site := siteFixture(t, root)
	opts := Options{Dir: filepath.Join(root, "proj"), SitePackages: []string{site}}
	g, err := Scan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Package{}
	for _, p := range g.Packages() {
		got[p.Module] = p
	}
	if got["numpylike"] != (Package{"numpylike", "numpylike", "1.2.3"}) || got["othermod"] != (Package{"othermod", "otherdist", "2.0"}) || got["math"].Name != "" {
		t.Errorf("packages %+v", got)
	}
	if _, ok := got["fancy"]; ok {
		t.Error("an editable install counts as a package")
	}
	snap := g.Export()
	if len(snap.Packages) != 2 {
		t.Errorf("snapshot packages %+v", snap.Packages)
	}
	inv, err := g.RefreshPackages(context.Background())
	if err != nil || !inv.Empty() {
		t.Fatalf("nothing upgraded: %+v, %v", inv, err)
	}
	if err := os.Rename(filepath.Join(site, "numpylike-1.2.3.dist-info"), filepath.Join(site, "numpylike-1.3.0.dist-info")); err != nil {
		t.Fatal(err)
	}
	inv, err = g.RefreshPackages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	same(t, "packages", inv.Packages, []string{"numpylike"})
	same(t, "factories", inv.Factories, []string{"uses_helper", "uses_math", "uses_numpy", "uses_ring"}) // all of chip.py imports it
	if chain := inv.Explain("uses_numpy"); len(chain) == 0 || chain[0] != "package numpylike: numpylike 1.2.3 → numpylike 1.3.0" {
		t.Errorf("Explain = %q", chain)
	}
	// A graph restored from the snapshot sees the upgrade made since.
	g2, err := FromSnapshot(snap, opts)
	if err != nil {
		t.Fatal(err)
	}
	inv, err = g2.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	same(t, "packages", inv.Packages, []string{"numpylike"})
	if !slices.Contains(inv.Factories, "uses_numpy") {
		t.Errorf("after the snapshot: factories %v", inv.Factories)
	}
}

// TestRealEditableInstall makes a real virtual environment and installs
// two local packages in editable mode with pip (a src layout, which
// setuptools installs with a .pth path, and a flat one, which it installs
// with an __editable__ finder); the graph must track both.
func TestRealEditableInstall(t *testing.T) {
	py := python(t)
	root := t.TempDir()
	venv := filepath.Join(root, "venv")
	out, err := exec.Command(py, "-m", "venv", venv).CombinedOutput()
	if err != nil {
		needVenv(t, "python3 -m venv: "+strings.TrimSpace(string(out)))
	}
	vpy := filepath.Join(venv, "bin", "python")
	if _, err := exec.Command(vpy, "-c", "import wheel").CombinedOutput(); err != nil {
		// setuptools before 70.1 builds editable wheels with the wheel package.
		whl, _ := filepath.Glob("/usr/share/python-wheels/wheel-*.whl")
		if len(whl) == 0 {
			needVenv(t, "no wheel package for the virtual environment (apt-get install python3-wheel-whl)")
		}
		if out, err := exec.Command(vpy, "-m", "pip", "install", "--no-index", whl[0]).CombinedOutput(); err != nil {
			t.Fatalf("pip install wheel: %v\n%s", err, out)
		}
	}
	pyproject := "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"%s\"\nversion = \"0.1\"\n"
	write(t, root, "srcpkg/pyproject.toml", strings.ReplaceAll(pyproject, "%s", "srcpkg"))
	write(t, root, "srcpkg/src/srcpkg/__init__.py", "def f():\n    return 1\n")
	write(t, root, "flatpkg/pyproject.toml", strings.ReplaceAll(pyproject, "%s", "flatpkg")+"\n[tool.setuptools]\npackages = [\"flatpkg\"]\n")
	write(t, root, "flatpkg/flatpkg/__init__.py", "def g():\n    return 2\n")
	write(t, root, "proj/chip.py", "import srcpkg\nimport flatpkg\n\n\ndef cell(f):\n    return f\n\n\n@cell\ndef a():\n    return srcpkg.f()\n\n\n@cell\ndef b():\n    return flatpkg.g()\n")
	for _, p := range []string{"srcpkg", "flatpkg"} {
		cmd := exec.Command(vpy, "-m", "pip", "install", "--no-index", "--no-build-isolation", "-e", filepath.Join(root, p))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pip install -e %s: %v\n%s", p, err, out)
		}
	}
	out, err = exec.Command(vpy, "-c", "import site; print('\\n'.join(site.getsitepackages()))").Output()
	if err != nil {
		t.Fatal(err)
	}
	sites := strings.Fields(string(out))
	g, err := Scan(context.Background(), Options{Dir: filepath.Join(root, "proj"), SitePackages: sites})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.ExtraRoots(); len(got) != 2 {
		t.Fatalf("ExtraRoots = %q (site-packages %q)", got, sites)
	}
	for _, tc := range []struct{ file, old, new, factory string }{
		{"srcpkg/src/srcpkg/__init__.py", "return 1", "return 10", "a"},
		{"flatpkg/flatpkg/__init__.py", "return 2", "return 20", "b"},
	} {
		_, inv := editAt(t, g, root, tc.file, tc.old, tc.new)
		same(t, "factories", inv.Factories, []string{tc.factory})
	}
}

// editAt replaces old by new in the file rel of root and updates the
// graph; it returns the file's path and the invalidation.
func editAt(t *testing.T, g *Graph, root, rel, old, new string) (string, *Invalidation) {
	t.Helper()
	p := filepath.Join(root, rel)
	b, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %q (%v)", rel, old, err)
	}
	write(t, root, rel, strings.Replace(string(b), old, new, 1))
	return p, update(t, g, p)
}

// needVenv skips the test, or fails it where CI promises the tools
// (testsupport.RequireKLayoutEnv: CI installs python3-venv and
// python3-wheel-whl with KLayout).
func needVenv(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(testsupport.RequireKLayoutEnv) != "" {
		t.Fatalf("%s, but %s is set", why, testsupport.RequireKLayoutEnv)
	}
	t.Skip(why)
}
