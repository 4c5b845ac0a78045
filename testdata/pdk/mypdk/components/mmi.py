"""Multimode interference couplers."""

import pya

from mypdk import layers
from mypdk.cell import cell
from mypdk.components.tapers import SLAB_MARGIN, taper
from mypdk.helpers import box, to_dbu
from mypdk.kcell import KCell


@cell(check_ports=True)
def mmi1x2(
    width: float = 0.5,
    width_taper: float = 1.0,
    length_taper: float = 10.0,
    length_mmi: float = 5.5,
    width_mmi: float = 2.5,
    gap_mmi: float = 0.25,
) -> KCell:
    """A 1x2 MMI: input o1 on the west, outputs o2 (north-east) and o3 (south-east)."""
    c = KCell()
    t = taper(width1=width, width2=width_taper, length=length_taper)
    x0, x1 = length_taper, length_taper + length_mmi
    c.shapes(layers.WG).insert(box(x0, -width_mmi / 2, x1, width_mmi / 2))
    c.shapes(layers.SLAB).insert(
        box(x0, -width_mmi / 2 - SLAB_MARGIN, x1, width_mmi / 2 + SLAB_MARGIN)
    )
    c.create_inst(t, pya.Trans(pya.Trans.R0, 0, 0))
    c.add_port("o1", 0, 0, 180, to_dbu(width), layers.WG)
    dy = to_dbu((gap_mmi + width_taper) / 2)
    xl = to_dbu(x1 + length_taper)
    for name, y in (("o2", dy), ("o3", -dy)):
        # output tapers point east, from the MMI body outwards
        c.create_inst(t, pya.Trans(pya.Trans.R180, xl, y))
        c.add_port(name, xl, y, 0, to_dbu(width), layers.WG)
    return c
