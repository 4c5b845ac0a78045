__all__ = ["taper", "taper_strip_to_ridge", "taper_strip_to_slab150", "terminator"]

from functools import partial

import gf
from gf.component import Component


def _points(length, width1, width2):
    return [(0, -width1 / 2), (0, width1 / 2), (length, width2 / 2), (length, -width2 / 2)]


@gf.cell_with_module_name
def taper(length=10.0, width1=0.5, width2=None, cross_section="strip"):
    """A linear taper."""
    xs = gf.get_cross_section(cross_section, width=width1)
    width2 = width2 or width1
    c = Component()
    c.add_polygon(_points(length, width1, width2), xs.layer)
    c.add_port("o1", (0, 0), width1, 180, xs.layer)
    c.add_port("o2", (length, 0), width2, 0, xs.layer)
    return c


@gf.cell_with_module_name
def taper_strip_to_ridge(length=10.0, width=0.5, layer_slab="SLAB90"):
    c = Component()
    c.add_polygon(_points(length, width, width), (1, 0))
    c.add_polygon(_points(length, 0.1, 2 * width), (3, 0))
    c.info["slab"] = layer_slab
    c.add_port("o1", (0, 0), width, 180)
    c.add_port("o2", (length, 0), width, 0)
    return c


taper_strip_to_slab150 = partial(taper_strip_to_ridge, layer_slab="SLAB150")
terminator = partial(taper, width2=0.1)
