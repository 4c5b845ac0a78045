package depgraph

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// project writes files into a temporary directory and scans it.
func project(t *testing.T, files map[string]string, opts Options) (string, *Graph) {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		write(t, dir, name, src)
	}
	opts.Dir = dir
	g, err := Scan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return dir, g
}

func write(t *testing.T, dir, name, src string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func update(t *testing.T, g *Graph, paths ...string) *Invalidation {
	t.Helper()
	inv, err := g.Update(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestImportCycle(t *testing.T) {
	dir, g := project(t, map[string]string{
		"pkg/__init__.py": "",
		"pkg/a.py":        "from pkg import b\n\n@cell\ndef fa():\n    return b.fb()\n",
		"pkg/b.py":        "from . import a\n\n@cell\ndef fb():\n    return 1\n\ndef gb():\n    return a.fa()\n",
		"pkg/c.py":        "def alone():\n    return 0\n",
	}, Options{})
	cycles := g.Cycles()
	if len(cycles) != 1 || strings.Join(cycles[0], ",") != "pkg.a,pkg.b" {
		t.Fatalf("cycles = %v", cycles)
	}
	write(t, dir, "pkg/b.py", "from . import a\n\n@cell\ndef fb():\n    return 2\n\ndef gb():\n    return a.fa()\n")
	inv := update(t, g, "pkg/b.py")
	same(t, "functions", inv.Functions, []string{"pkg.a.fa", "pkg.b.fb", "pkg.b.gb"})
	if len(inv.Cycles) != 1 {
		t.Errorf("invalidation reports cycles %v", inv.Cycles)
	}
	explainOK(t, inv, "pkg.b.gb", "pkg/b.py: def fb changed")
}

func TestNewFileResolvesImport(t *testing.T) {
	dir, g := project(t, map[string]string{
		"src/lib/__init__.py": "",
		"src/lib/user.py":     "from .extra import helper\nfrom lib import *\n\ndef use():\n    return helper()\n\ndef other():\n    return 1\n",
	}, Options{})
	if g.files["src/lib/user.py"].Module != "lib.user" {
		t.Fatalf("src layout: module %q", g.files["src/lib/user.py"].Module)
	}
	write(t, dir, "src/lib/extra.py", "def helper():\n    return 2\n")
	inv := update(t, g, "src/lib/extra.py")
	// lib.user imports the new module, so its top-level code (and with it
	// every function of lib.user) is invalidated too.
	same(t, "functions", inv.Functions, []string{"lib.extra.helper", "lib.user.other", "lib.user.use"})
	explainOK(t, inv, "lib.user.use", "src/lib/extra.py: new file")
}

func TestBrokenFileKeepsGoing(t *testing.T) {
	dir, g := project(t, map[string]string{
		"a.py": "def f():\n    return 1\n\ndef g():\n    return 2\n",
		"b.py": "from a import f\n\ndef h():\n    return f()\n",
		"c.py": "x = (\n",
	}, Options{})
	if errs := g.Errors(); len(errs) != 1 || !strings.HasPrefix(errs[0], "c.py:1:") {
		t.Fatalf("errors = %v", errs)
	}
	write(t, dir, "a.py", "def f():\n    return 'unterminated\n\ndef g():\n    return 2\n")
	inv := update(t, g, "a.py")
	if len(inv.Errors) != 1 || !strings.HasPrefix(inv.Errors[0], "a.py:2:") {
		t.Errorf("errors = %v", inv.Errors)
	}
	same(t, "functions", inv.Functions, []string{"a.f", "a.g", "b.h"})
	write(t, dir, "a.py", "def f():\n    return 1\n\ndef g():\n    return 2\n")
	inv = update(t, g, "a.py")
	if len(inv.Errors) != 0 || g.files["a.py"].Err != "" {
		t.Errorf("fixed file still in error: %v", inv.Errors)
	}
}

func TestAttributeChainsAndAliases(t *testing.T) {
	dir, g := project(t, map[string]string{
		"p/__init__.py": "from p.impl import exported as public\n",
		"p/impl.py":     "RATE = 3\n\ndef exported():\n    return RATE\n\ndef unused():\n    return 0\n",
		"p/use.py":      "import p.impl as im\nimport p\n\ndef a():\n    return im.exported()\n\ndef b():\n    return p.public()\n\ndef c():\n    return im.RATE\n\ndef d():\n    return p\n",
	}, Options{})
	write(t, dir, "p/impl.py", "RATE = 3\n\ndef exported():\n    return RATE + 0\n\ndef unused():\n    return 0\n")
	inv := update(t, g, "p/impl.py")
	// d uses the package p as a whole, and p re-exports exported.
	same(t, "functions", inv.Functions, []string{"p.impl.exported", "p.use.a", "p.use.b", "p.use.d"})
	write(t, dir, "p/impl.py", "RATE = 4\n\ndef exported():\n    return RATE + 0\n\ndef unused():\n    return 0\n")
	inv = update(t, g, "p/impl.py")
	// A module constant: the module and every module importing it.
	same(t, "functions", inv.Functions, []string{"p.impl.exported", "p.impl.unused", "p.use.a", "p.use.b", "p.use.c", "p.use.d"})
	same(t, "modules", inv.Modules, []string{"p", "p.impl", "p.use"})
}

func TestTargetWithoutEntries(t *testing.T) {
	dir, g := project(t, map[string]string{"a.py": "def f():\n    return 1\n"},
		Options{Targets: []Target{{Name: "all"}, {Name: "other", Entries: []string{"b.py"}}}})
	write(t, dir, "a.py", "def f():\n    return 2\n")
	inv := update(t, g, filepath.Join(dir, "a.py"), filepath.Join(dir, "README.md"), "/elsewhere/x.py")
	same(t, "targets", inv.Targets, []string{"all"})
	same(t, "factories", inv.Factories, nil)
}

func TestDirectoryMovedAsAWhole(t *testing.T) {
	dir, g := project(t, map[string]string{
		"lib/__init__.py": "",
		"lib/a.py":        "def f():\n    return 1\n",
		"use.py":          "from lib.a import f\n\ndef g():\n    return f()\n\ndef h():\n    return 0\n",
	}, Options{})
	if err := os.Rename(filepath.Join(dir, "lib"), filepath.Join(dir, "lib2")); err != nil {
		t.Fatal(err)
	}
	inv := update(t, g, filepath.Join(dir, "lib"), filepath.Join(dir, "lib2"))
	same(t, "files", inv.Files, []string{"lib/__init__.py", "lib/a.py", "lib2/__init__.py", "lib2/a.py"})
	same(t, "functions", inv.Functions, []string{"lib.a.f", "lib2.a.f", "use.g", "use.h"})
	if g.nodes[defID("lib.a", "f")] != nil || g.nodes[defID("lib2.a", "f")] == nil {
		t.Error("the graph does not follow the move")
	}
}
