"""Bond pads for the heaters."""

import mypdk as pdk
from mypdk import layers
from mypdk.helpers import box, to_dbu

OPENING_INSET = 5.0  # um from the pad edge to the passivation opening


@pdk.cell
def pad(size: float = 80.0) -> pdk.KCell:
    """A square metal pad centred on (0, 0) with a passivation opening; port e1 (south)."""
    c = pdk.KCell()
    h = size / 2
    c.shapes(layers.METAL).insert(box(-h, -h, h, h))
    i = h - OPENING_INSET
    c.shapes(layers.PAD_OPEN).insert(box(-i, -i, i, i))
    c.add_port("e1", 0, -to_dbu(h), 270, to_dbu(size), layers.METAL)
    return c
