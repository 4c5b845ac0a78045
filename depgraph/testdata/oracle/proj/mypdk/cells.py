"""One factory per idiom of FACTS.md section 7 (see each docstring)."""

import os
from functools import partial
from pathlib import Path

import fakenp
import gf
import gf.components.tapers as tp
import kf
from gf.components import straight, taper
from kf import kcl

HERE = Path(__file__).parent
RING_TABLE = HERE / "data" / "ring.csv"


def add_marker(c):
    c.add_label("marker")


_cell = partial(gf.cell, check_ports=False)
_cell_pp = gf.cell(post_process=(add_marker,))
_kcell = kf.partial(kcl.cell, check=False)

taper_function = taper
terminator = partial(tp.taper, width2=0.1)
CELLS = {"s": partial(straight, length=5.0), "t": taper_function}
CHAIN = [gf.c.bend_euler, partial(gf.components.straight, length=2.0)]
SPECS = {"bend": "bend_circular"}
narrow_taper = gf.partial(gf.c.taper, width2=0.2)


@gf.cell_with_module_name
def alias_user():
    """Module alias: gf.c is gf.components."""
    return gf.c.taper(length=3.0)


@gf.cell
def chain_user():
    """An attribute chain through packages."""
    return gf.components.tapers.taper(length=4.0)


@gf.cell
def tp_user():
    """import x.y as z."""
    return tp.taper_from_csv()


@gf.cell
def rebinding_user():
    """A module-level rebinding: taper_function = taper."""
    return taper_function(length=7.0)


@gf.cell
def default_partial(t=terminator):
    """A partial as a default argument."""
    return t()


@gf.cell
def registry_user(key="s"):
    """A dict of factories."""
    return CELLS[key]()


@gf.cell
def list_user():
    """A list of factories."""
    c = gf.Component()
    for f in CHAIN:
        c << f()
    return c


@gf.cell
def string_arg():
    """A string naming a factory, as a call argument."""
    return gf.get_component("bend_euler")


@gf.cell
def string_default(bend: str = "bend_circular"):
    """A string naming a factory, as a default."""
    return gf.get_component(bend)


@gf.cell
def string_registry(which="bend"):
    """A string naming a factory, as a registry's value."""
    return gf.get_component(SPECS[which])


@gf.cell
def spec_dict():
    """A dict spec naming a factory and its settings."""
    return gf.get_component({"component": "wire_straight", "settings": {"length": 3.0}})


@_cell
def private_partial():
    """A module-private wrapper: _cell = partial(gf.cell, ...)."""
    return gf.c.compass()


@_cell_pp
def private_factory():
    """A module-private wrapper made by a decorator factory: gf.cell(...)."""
    return gf.c.straight(length=1.0)


@kcl.cell
def kf_user():
    """A layout object's decorator, from an editable install."""
    c = kcl.kcell("kf_user")
    return c.add_shape("box")


@kf.vcell
def kf_vuser():
    """kf.vcell = partial(kcl.cell, ...)."""
    return kcl.kcell("kf_vuser")


@gf.vcell
def gf_vuser():
    """gdsfactory's virtual-cell decorator, through the package: @gf.vcell."""
    return gf.c.compass()


@gf.cell
def gf_partial_user(t=narrow_taper):
    """gf.partial (functools.partial re-exported) as a default argument."""
    return t()


@_kcell
def kf_partial_user():
    """A private wrapper made with kf.partial: _kcell = kf.partial(kcl.cell, ...)."""
    return kcl.kcell("kf_partial_user")


@gf.cell
def csv_user():
    """A data file named through a module-level path."""
    rows = gf.import_csv(RING_TABLE)
    c = gf.Component()
    c.add_polygon([(x, y) for x, y in rows], (1, 0))
    return c


@gf.cell
def gds_user():
    """A data file named by os.path.join(os.path.dirname(__file__), ...)."""
    return gf.import_gds(os.path.join(os.path.dirname(__file__), "gds", "logo.gds"))


@gf.cell
def yaml_user():
    """A *.pic.yml next to the module."""
    return gf.from_yaml(Path(__file__).parent / "top.pic.yml")


@gf.cell(check_ports=False)
def lyp_user():
    """Layer properties found by a glob: no name in the code."""
    c = gf.Component()
    for p in sorted(HERE.glob("*.lyp")):
        with open(p) as f:
            c.info[p.name] = len(f.read())
    return c


@gf.cell(check_ports=False)
def numpy_user():
    """An installed package."""
    c = gf.Component()
    c.add_polygon([(x, 0.0) for x in fakenp.linspace(0.0, 1.0, 3)], (1, 0))
    return c


@gf.cell
def methods_a():
    """Some of Component's methods."""
    c = gf.Component()
    c.add_polygon([(0, 0), (1, 0), (1, 1)], (1, 0))
    c.move((1.0, 2.0)).rotate(90)
    c.add_port("o1", (0, 0), 0.5, 180)
    return c


@gf.cell
def methods_b():
    """Others: references, mirroring, copies."""
    c = gf.Component()
    ref = c << gf.c.straight(length=2.0)
    ref.rotate(90)
    c.add_ports(ref.ports.values())
    c.mirror()
    return c.copy()


@gf.cell
def methods_c():
    """Others again: extract, flatten, areas, labels."""
    c = gf.Component()
    c << gf.c.bend_circular()
    c.flatten()
    c.add_label("area %g" % c.area())
    d = c.extract([(1, 0)])
    d.add_port("o1", (0, 0), 0.5, 180)
    return d


@gf.cell
def mmi_user():
    """An MMI: rebinding with a default, a padding made by a Component method."""
    return gf.c.mmi1x2()


@gf.cell
def coupler_user():
    return gf.c.coupler90(gap=0.3)


@gf.cell(check_ports=False)
def gds_from_library():
    return gf.c.mmi_from_gds()


@gf.cell
def slab_user():
    """A partial re-exported from the library (taper_strip_to_slab150)."""
    return gf.components.taper_strip_to_slab150()
