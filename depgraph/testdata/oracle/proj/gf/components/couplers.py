__all__ = ["coupler", "coupler90"]

import gf
from gf.components.waveguides import straight


@gf.cell_with_module_name
def coupler90(gap=0.2, bend: str = "bend_euler", straight=straight):
    """A bend next to a straight; the bend is named by a string, as PDK specs are."""
    c = gf.Component()
    b = c << gf.get_component(bend)
    s = c << straight(length=10.0)
    b.move((0, gap))
    c.add_ports(s.ports.values())
    return c


@gf.cell_with_module_name
def coupler(gap=0.2, length=10.0):
    c = gf.Component()
    top = c << gf.c.straight(length=length)
    bottom = c << gf.c.straight(length=length)
    top.move((0, gap))
    c.add_ports(bottom.ports.values(), prefix="b")
    c.add_ports(top.ports.values(), prefix="t")
    return c
