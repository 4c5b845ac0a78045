package depgraph

import (
	"reflect"
	"strings"
	"testing"
)

func scanString(t *testing.T, src string, decorators ...string) *FileInfo {
	t.Helper()
	fi, err := ScanSource("m.py", "m", []byte(src), decorators)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func defNamed(fi *FileInfo, name string) *Def {
	for i := range fi.Defs {
		if fi.Defs[i].Name == name {
			return &fi.Defs[i]
		}
	}
	return nil
}

// TestScanMakers checks which decorators make factories out of the box,
// and which decorator each factory reports.
func TestScanMakers(t *testing.T) {
	tests := []struct {
		name, src, maker string
		extra            []string
	}{
		{"gf.cell", "@gf.cell\ndef f(): pass\n", "gf.cell", nil},
		{"with args", "@gf.cell(check_ports=False)\ndef f(): pass\n", "gf.cell", nil},
		{"vcell", "@kf.vcell\ndef f(): pass\n", "kf.vcell", nil},
		{"cell_with_module_name", "@gf.cell_with_module_name(tags=['x'])\ndef f(): pass\n", "gf.cell_with_module_name", nil},
		{"schematic_cell", "@pdk.schematic_cell\ndef f(): pass\n", "pdk.schematic_cell", nil},
		{"bare cell", "from gf import cell\n@cell\ndef f(): pass\n", "cell", nil},
		{"layout object", "kcl = KCLayout('x')\n@kcl.cell\ndef f(): pass\n", "kcl.cell", nil},
		{"pdk object with args", "@pdk.cell(basename='x')\ndef f(): pass\n", "pdk.cell", nil},
		{"private partial", "from functools import partial\n_cell = partial(gf.cell, check_ports=False)\n@_cell\ndef f(): pass\n", "_cell = partial(gf.cell)", nil},
		{"private gf.partial", "_cell = gf.partial(cell_with_module_name)\n@_cell()\ndef f(): pass\n", "_cell = partial(cell_with_module_name)", nil},
		{"decorator factory", "_cell = gf.cell(post_process=(add_pins,))\n@_cell\ndef f(): pass\n", "_cell = gf.cell(...)", nil},
		{"alias of a wrapper", "_c = partial(cell)\n_d = _c\n@_d\ndef f(): pass\n", "_d = _c = partial(cell)", nil},
		{"configured", "@my.component\ndef f(): pass\n", "my.component", []string{"component"}},
		{"not a factory", "@functools.cache\ndef f(): pass\n", "", nil},
		{"wrapper assigned twice", "_cell = partial(cell)\n_cell = other\n@_cell\ndef f(): pass\n", "", nil},
		{"cache is not cell", "@lru_cell_cache\ndef f(): pass\n", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := defNamed(scanString(t, tt.src, tt.extra...), "f")
			if d.Factory != (tt.maker != "") || d.Maker != tt.maker {
				t.Errorf("factory %v, maker %q; want maker %q", d.Factory, d.Maker, tt.maker)
			}
		})
	}
}

// TestScanBindings checks the module-level bindings: aliases, partials,
// registries updated in place, tuple targets, and what is not a binding.
func TestScanBindings(t *testing.T) {
	src := `from functools import partial
import gf
from gf import components
import sys

c = components
taper_function = components.taper
terminator = partial(taper_function, width2=0.1)
CELLS = {"straight": components.straight}
CELLS["bend"] = partial(components.bend_euler, radius=5)
CELLS.update(ring=components.ring)
REGISTRY: dict = dict(mmi=components.mmi1x2)
a, (b, d) = 1, (2, 3)
f = lambda x=components.x: x
sys.path.append("x")
try:
    import yaml
except ImportError:
    yaml = None
if True:
    again = c
    again = components
globals()["z"] = 1
x.y.z = 3
`
	fi := scanString(t, src)
	got := map[string]Binding{}
	var names []string
	for _, b := range fi.Bindings {
		got[b.Name] = b
		names = append(names, b.Name)
	}
	want := []string{"c", "taper_function", "terminator", "CELLS", "REGISTRY", "a", "b", "d", "f", "yaml", "again"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("bindings %v, want %v", names, want)
	}
	for name, alias := range map[string]string{"c": "components", "taper_function": "components.taper", "terminator": "", "again": "", "CELLS": ""} {
		if got[name].Alias != alias {
			t.Errorf("%s: alias %q, want %q", name, got[name].Alias, alias)
		}
	}
	refs := func(name string) string { return strings.Join(got[name].Refs, " ") }
	for name, want := range map[string][]string{
		"terminator": {"taper_function", "partial("},
		"CELLS":      {"components.straight", "components.bend_euler", "components.ring", "'straight"},
		"REGISTRY":   {"components.mmi1x2", "dict("},
		"f":          {"components.x"},
	} {
		for _, w := range want {
			if !strings.Contains(" "+refs(name)+" ", " "+w+" ") {
				t.Errorf("%s refs %q lack %q", name, refs(name), w)
			}
		}
	}
	if strings.Contains(refs("terminator"), "width2") {
		t.Errorf("a keyword argument counts as a use: %q", refs("terminator"))
	}
}

// TestScanExports checks __all__: literal lists count, anything dynamic
// makes it unknown.
func TestScanExports(t *testing.T) {
	tests := []struct {
		src  string
		want []string
		ok   bool
	}{
		{"__all__ = ['a', \"b\"]\n", []string{"a", "b"}, true},
		{"__all__ = ('a',)\n__all__ += ['b']\n__all__.append('c')\n__all__.extend(['d'])\n", []string{"a", "b", "c", "d"}, true},
		{"__all__ = ['a'] + other.__all__\n", nil, false},
		{"__all__ = [n for n in dir()]\n", nil, false},
		{"x = 1\n", nil, false},
	}
	for _, tt := range tests {
		fi := scanString(t, tt.src)
		if fi.HasExports != tt.ok || !reflect.DeepEqual(fi.Exports, tt.want) {
			t.Errorf("%q: exports %v (%v), want %v (%v)", tt.src, fi.Exports, fi.HasExports, tt.want, tt.ok)
		}
	}
}

// TestScanMethods checks that a class's methods are units of their own
// and that the class keeps what lies outside them.
func TestScanMethods(t *testing.T) {
	src := `class Component(Base):
    """A component."""

    WIDTH = helper()

    def __init__(self, x):
        self.x = x

    @property
    def width(self):
        return self.x.width

    def add_ref(self, other):
        return self.helper(other)

    if TYPE_CHECKING:
        def hidden(self): ...
`
	base := scanString(t, src)
	c := defNamed(base, "Component")
	var names []string
	for _, m := range c.Methods {
		names = append(names, m.Name)
	}
	if !reflect.DeepEqual(names, []string{"__init__", "width", "add_ref"}) {
		t.Fatalf("methods %v", names)
	}
	if w := c.Methods[1]; w.Start != 9 || w.Line != 10 || w.EndLine != 11 || !reflect.DeepEqual(w.Decorators, []string{"property"}) {
		t.Errorf("width: %+v", w)
	}
	if strings.Contains(strings.Join(c.Refs, " "), "self.helper(") || !strings.Contains(strings.Join(c.Refs, " "), "helper(") {
		t.Errorf("class refs %v: want the body's, not the methods'", c.Refs)
	}
	edited := scanString(t, strings.Replace(src, "return self.helper(other)", "return self.helper(other, 1)", 1))
	e := defNamed(edited, "Component")
	if e.Hash == c.Hash || e.BodyHash != c.BodyHash || e.Methods[2].Hash == c.Methods[2].Hash || e.Methods[0].Hash != c.Methods[0].Hash {
		t.Errorf("editing one method: class hash changed %v, body hash same %v, add_ref changed %v, __init__ same %v",
			e.Hash != c.Hash, e.BodyHash == c.BodyHash, e.Methods[2].Hash != c.Methods[2].Hash, e.Methods[0].Hash == c.Methods[0].Hash)
	}
	body := defNamed(scanString(t, strings.Replace(src, "WIDTH = helper()", "WIDTH = helper(2)", 1)), "Component")
	if body.BodyHash == c.BodyHash || body.Methods[0].Hash != c.Methods[0].Hash {
		t.Errorf("editing the class body: body hash changed %v, methods unchanged %v", body.BodyHash != c.BodyHash, body.Methods[0].Hash == c.Methods[0].Hash)
	}
}

// TestScanRefs checks the references a def records: attributes of other
// expressions, name-like strings, and not keyword argument names.
func TestScanRefs(t *testing.T) {
	src := `def f(bend: ComponentSpec = "bend_euler", n=3):
    c = gf.Component()
    ref = c << gf.get_component("straight", width=2)
    ref.dmove((1, 2))
    x = foo()[0].bar.baz()
    s = "not a name"
    g = getattr(gf.c, 'taper')
    m = "a.b.module"
    return f"{c.name}".upper()
`
	d := defNamed(scanString(t, src), "f")
	want := []string{"'a.b.module", "'bend_euler", "'straight", "'taper", ".bar.baz(", ".upper(", "ComponentSpec", "bend", "c", "c.name", "foo(",
		"getattr(", "gf.Component(", "gf.c", "gf.get_component(", "ref.dmove("}
	if !reflect.DeepEqual(d.Refs, want) {
		t.Errorf("refs\n%q\nwant\n%q", d.Refs, want)
	}
}

// TestScanPaths checks which string literals are taken for file names.
func TestScanPaths(t *testing.T) {
	src := `PATH = Path(__file__).parent

def f():
    a = import_gds(PATH / "gds" / "mmi.gds")
    b = open(os.path.join(os.path.dirname(__file__), "data", "taper.csv"))
    c = read("layers.lyp")
    d = "not a file", "1.5", "o1", "a b.txt"
    return a, b, c

load("top.pic.yml")
`
	fi := scanString(t, src)
	want := []string{"data/taper.csv", "gds/mmi.gds", "layers.lyp", "mmi.gds", "taper.csv", "top.pic.yml"}
	if !reflect.DeepEqual(fi.Paths, want) {
		t.Errorf("paths %q, want %q", fi.Paths, want)
	}
	if got := defNamed(fi, "f").paths; len(got) != 5 {
		t.Errorf("f's paths %q", got)
	}
	if !reflect.DeepEqual(fi.topPaths, []string{"top.pic.yml"}) {
		t.Errorf("top-level paths %q", fi.topPaths)
	}
}
