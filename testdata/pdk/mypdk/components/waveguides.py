"""Straight and bent waveguides."""

import pya

from mypdk import layers
from mypdk.cell import cell
from mypdk.helpers import arc_points, to_dbu
from mypdk.kcell import KCell


@cell
def straight(width: float = 0.5, length: float = 10.0) -> KCell:
    """A straight waveguide from (0, 0) to (length, 0); ports o1 (west), o2 (east)."""
    c = KCell()
    w, l = to_dbu(width), to_dbu(length)
    c.shapes(layers.WG).insert(pya.Box(0, -w // 2, l, w // 2))
    c.add_port("o1", 0, 0, 180, w, layers.WG)
    c.add_port("o2", l, 0, 0, w, layers.WG)
    return c


@cell
def bend_circular(width: float = 0.5, radius: float = 10.0) -> KCell:
    """A 90-degree left bend: o1 at (0, 0) facing west, o2 at (radius, radius) facing north."""
    c = KCell()
    w, r = to_dbu(width), to_dbu(radius)
    c.shapes(layers.WG).insert(arc_points(radius, width))
    c.add_port("o1", 0, 0, 180, w, layers.WG)
    c.add_port("o2", r, r, 90, w, layers.WG)
    return c

