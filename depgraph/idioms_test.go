package depgraph

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gfLike is a small gdsfactory-shaped package: decorators in _cell.py, a
// `c = components` alias, star re-exports with __all__, partials, a
// registry and string lookups.
func gfLike() map[string]string {
	return map[string]string{
		"gf/__init__.py": `from functools import partial
from gf._cell import cell, cell_with_module_name
from gf import components
from gf.pdk import get_component

c = components
`,
		"gf/_cell.py": "def cell(f=None, **kw):\n    return f\n\n\ndef cell_with_module_name(f=None, **kw):\n    return f\n",
		"gf/pdk.py": `CELLS = {}


def get_component(name, **kw):
    return CELLS[name](**kw)
`,
		"gf/components/__init__.py":        "from .tapers import *\nfrom .bends import *\n",
		"gf/components/tapers/__init__.py": "from .taper import *\n",
		"gf/components/tapers/taper.py": `__all__ = ["taper", "taper_strip"]
from functools import partial

import gf


@gf.cell_with_module_name
def taper(length=10.0, width2=None):
    return length


def helper():
    return 1


taper_strip = partial(taper, width2=0.2)
`,
		"gf/components/bends.py": `import gf


def helper():
    return 2


@gf.cell
def bend_euler(radius=10):
    return radius
`,
	}
}

// TestIdioms checks, idiom by idiom, which factories an edit invalidates
// (want) and which it must leave alone (not).
func TestIdioms(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		edit      [3]string // file, old, new
		want, not []string
	}{{
		name:  "module alias gf.c",
		files: map[string]string{"pdk/mmi.py": "import gf\n\n@gf.cell\ndef mmi():\n    return gf.c.taper()\n\n@gf.cell\ndef other():\n    return gf.c.bend_euler()\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"taper", "mmi"}, not: []string{"other", "bend_euler"},
	}, {
		name:  "attribute chain through packages",
		files: map[string]string{"pdk/mmi.py": "import gf\n\n@gf.cell\ndef mmi():\n    return gf.components.tapers.taper.taper()\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"mmi"},
	}, {
		name:  "import x.y as z",
		files: map[string]string{"pdk/mmi.py": "import gf.components.tapers as tp\n\n@gf.cell\ndef mmi():\n    return tp.taper()\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"mmi"},
	}, {
		name: "star import honours __all__",
		files: map[string]string{
			"pdk/__init__.py": "from gf.components.tapers.taper import *\nfrom gf.components.bends import *\n",
			"pdk/use.py":      "from gf import cell\nfrom pdk import helper\n\n@cell\ndef user():\n    return helper()\n",
		},
		// taper.py's helper is not in its __all__: pdk's helper is bends'.
		edit: [3]string{"gf/components/tapers/taper.py", "return 1", "return 3"},
		not:  []string{"user"},
	}, {
		name: "star import honours __all__ (the exported one)",
		files: map[string]string{
			"pdk/__init__.py": "from gf.components.tapers.taper import *\nfrom gf.components.bends import *\n",
			"pdk/use.py":      "from gf import cell\nfrom pdk import helper\n\n@cell\ndef user():\n    return helper()\n",
		},
		edit: [3]string{"gf/components/bends.py", "return 2", "return 3"},
		want: []string{"user"},
	}, {
		name:  "module-level rebinding",
		files: map[string]string{"pdk/mmi.py": "import gf\nfrom gf.components import taper\n\ntaper_function = taper\n\n@gf.cell\ndef mmi():\n    return taper_function()\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"mmi"},
	}, {
		name:  "partial as a default argument",
		files: map[string]string{"pdk/mmi.py": "import gf\n\nterminator = gf.partial(gf.c.taper, width2=0.1)\n\n@gf.cell\ndef mmi(t=terminator):\n    return t()\n\n@gf.cell\ndef other():\n    return 1\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"mmi"}, not: []string{"other"},
	}, {
		name:  "partial from another module",
		files: map[string]string{"pdk/mmi.py": "from gf import cell\nfrom gf.components import taper_strip\n\n@cell\ndef mmi(t=taper_strip):\n    return t()\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"mmi"},
	}, {
		name:  "registry dict and list",
		files: map[string]string{"pdk/cells.py": "from functools import partial\nimport gf\n\nCELLS = dict(t=partial(gf.c.taper, length=2))\nLIST = [gf.c.bend_euler]\n\n@gf.cell\ndef from_dict(name='t'):\n    return CELLS[name]()\n\n@gf.cell\ndef from_list():\n    return LIST[0]()\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"from_dict"}, not: []string{"from_list"},
	}, {
		name:  "registry filled in place",
		files: map[string]string{"pdk/cells.py": "import gf\n\nCELLS = {}\nCELLS['t'] = gf.c.taper\n\n@gf.cell\ndef from_dict(name='t'):\n    return CELLS[name]()\n"},
		edit:  [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want:  []string{"from_dict"},
	}, {
		name:  "string call argument",
		files: map[string]string{"pdk/ring.py": "import gf\n\n@gf.cell\ndef ring():\n    return gf.get_component('bend_euler')\n\n@gf.cell\ndef other():\n    return gf.get_component('taper')\n"},
		edit:  [3]string{"gf/components/bends.py", "return radius", "return radius + 1"},
		want:  []string{"ring"}, not: []string{"other"},
	}, {
		name:  "string default",
		files: map[string]string{"pdk/ring.py": "import gf\n\n@gf.cell\ndef coupler90(bend: str = 'bend_euler'):\n    return gf.get_component(bend)\n"},
		edit:  [3]string{"gf/components/bends.py", "return radius", "return radius + 1"},
		want:  []string{"coupler90"},
	}, {
		name:  "string in a registry",
		files: map[string]string{"pdk/ring.py": "import gf\n\nSPECS = {'bend': 'bend_euler'}\n\n@gf.cell\ndef ring(spec='bend'):\n    return gf.get_component(SPECS[spec])\n"},
		edit:  [3]string{"gf/components/bends.py", "return radius", "return radius + 1"},
		want:  []string{"ring"},
	}, {
		name: "decorators out of the box",
		files: map[string]string{"pdk/kf.py": `from functools import partial
import gf
from gf import cell

kcl = object()
_cell = partial(cell, check_ports=False)
_cell2 = gf.cell(post_process=())


@kcl.cell
def a():
    return gf.c.taper()


@_cell
def b():
    return gf.c.taper()


@_cell2
def c():
    return gf.c.taper()


@gf.vcell(basename="x")
def d():
    return gf.c.taper()
`},
		edit: [3]string{"gf/components/tapers/taper.py", "return length", "return length * 2"},
		want: []string{"a", "b", "c", "d"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := gfLike()
			for k, v := range tt.files {
				files[k] = v
			}
			dir, g := project(t, files, Options{})
			p := filepath.Join(dir, filepath.FromSlash(tt.edit[0]))
			b, err := os.ReadFile(p)
			if err != nil || !strings.Contains(string(b), tt.edit[1]) {
				t.Fatalf("%s lacks %q", tt.edit[0], tt.edit[1])
			}
			write(t, dir, tt.edit[0], strings.Replace(string(b), tt.edit[1], tt.edit[2], 1))
			inv := update(t, g, p)
			for _, f := range tt.want {
				if !slices.Contains(inv.Factories, f) {
					t.Errorf("factory %s not invalidated (factories %v)", f, inv.Factories)
				}
			}
			for _, f := range tt.not {
				if slices.Contains(inv.Factories, f) {
					t.Errorf("factory %s invalidated: %q", f, inv.Explain(f))
				}
			}
		})
	}
}

// TestMethodGranularity checks that an edit to one method invalidates
// the code using that method's name, not everything using the class; that
// an edit to a special method counts as an edit of the class; and that a
// class body edit reaches every method.
func TestMethodGranularity(t *testing.T) {
	files := map[string]string{
		"comp.py": `class Base:
    def __init__(self):
        self.refs = []

    def add_ref(self, other):
        self.refs.append(other)
        return self._place(other)

    def _place(self, other):
        return other


class Component(Base):
    LAYER = (1, 0)

    def add_polygon(self, pts):
        return pts

    def move(self, d):
        return self

    def rotate(self, a):
        return self._turn(a)

    def _turn(self, a):
        return a

    def __lshift__(self, other):
        return self.add_ref(other)
`,
		"facts.py": `from comp import Component


def cell(f):
    return f


@cell
def poly():
    c = Component()
    c.add_polygon([1])
    return c


@cell
def moved():
    c = Component()
    return c.move(1)


def helper(c, x):
    return c << x


@cell
def placed():
    c = Component()
    helper(c, poly())
    return c


@cell
def rotated():
    c = Component()
    return c.rotate(90)


@cell
def plain():
    return 1
`,
	}
	tests := []struct {
		name, old, new string
		want, not      []string
	}{
		{"one method", "return pts", "return pts * 2", []string{"poly", "placed"}, []string{"moved", "rotated", "plain"}},
		{"a method another calls via self", "return a\n", "return -a\n", []string{"rotated"}, []string{"moved", "poly", "plain"}},
		// _place runs from __lshift__, which `c << x` calls implicitly:
		// special methods count as the class.
		{"a method a special method calls", "return other\n", "return [other]\n", []string{"placed", "moved", "poly"}, []string{"plain"}},
		{"a base class's special method", "self.refs = []", "self.refs = [0]", []string{"poly", "moved", "placed", "rotated"}, []string{"plain"}},
		{"the class body", "LAYER = (1, 0)", "LAYER = (2, 0)", []string{"poly", "moved", "placed", "rotated"}, []string{"plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, g := project(t, files, Options{})
			src := strings.Replace(files["comp.py"], tt.old, tt.new, 1)
			write(t, dir, "comp.py", src)
			inv := update(t, g, "comp.py")
			for _, f := range tt.want {
				if !slices.Contains(inv.Factories, f) {
					t.Errorf("factory %s not invalidated (%v; changed %v)", f, inv.Factories, inv.Changed)
				}
			}
			for _, f := range tt.not {
				if slices.Contains(inv.Factories, f) {
					t.Errorf("factory %s invalidated: %q", f, inv.Explain(f))
				}
			}
		})
	}
}

// TestOverloadsAreOneUnit checks that defs sharing a name (typing
// overloads, at the top level and in a class) count as one unit, changed
// only when one of them is: an edit elsewhere in the file leaves them be.
func TestOverloadsAreOneUnit(t *testing.T) {
	src := `from typing import overload


@overload
def cell(f: int) -> int: ...
@overload
def cell(f: str) -> str: ...
def cell(f):
    return f


def other():
    return 1


class C:
    @overload
    def add(self, x: int) -> int: ...
    @overload
    def add(self, x: str) -> str: ...
    def add(self, x):
        return x

    def label(self):
        return 2
`
	use := "from m import cell, other, C\n\n\ndef uses_cell():\n    return cell(1)\n\n\ndef uses_add(c):\n    return c.add(1)\n"
	dir, g := project(t, map[string]string{"m.py": src, "use.py": use}, Options{})
	for _, tc := range []struct{ old, new string }{{"return 1", "return 3"}, {"return 2", "return 4"}} {
		write(t, dir, "m.py", strings.Replace(src, tc.old, tc.new, 1))
		inv := update(t, g, "m.py")
		for _, f := range []string{"use.uses_cell", "use.uses_add"} {
			if inv.Stale(f) {
				t.Errorf("edit %q: %s invalidated: %q", tc.old, f, inv.Explain(f))
			}
		}
		write(t, dir, "m.py", src)
		update(t, g, "m.py")
	}
	write(t, dir, "m.py", strings.Replace(src, "def add(self, x: str) -> str: ...", "def add(self, x: bytes) -> bytes: ...", 1))
	if inv := update(t, g, "m.py"); !inv.Stale("use.uses_add") {
		t.Errorf("an edit of an overload does not reach its users: %v", inv.Functions)
	}
}
