__all__ = ["straight", "wire_straight"]

from functools import partial

import gf


@gf.cell_with_module_name
def straight(length=10.0, width=0.5, cross_section="strip"):
    xs = gf.get_cross_section(cross_section, width=width)
    c = gf.Component()
    c.add_polygon([(0, -width / 2), (length, -width / 2), (length, width / 2), (0, width / 2)], xs.layer)
    c.add_port("o1", (0, 0), width, 180, xs.layer)
    c.add_port("o2", (length, 0), width, 0, xs.layer)
    return c


wire_straight = partial(straight, cross_section="metal", width=10.0)
