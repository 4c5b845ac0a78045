"""Linear tapers between two waveguide widths."""

from mypdk import layers
from mypdk.cell import cell
from mypdk.helpers import taper_polygon, to_dbu
from mypdk.kcell import KCell

SLAB_MARGIN = 2.0  # um of slab either side of the taper core


@cell
def taper(width1: float = 0.5, width2: float = 1.0, length: float = 10.0) -> KCell:
    """A linear taper from width1 at o1 (x=0) to width2 at o2 (x=length), with a slab."""
    c = KCell()
    c.shapes(layers.WG).insert(taper_polygon(width1, width2, length))
    c.shapes(layers.SLAB).insert(
        taper_polygon(width1 + 2 * SLAB_MARGIN, width2 + 2 * SLAB_MARGIN, length)
    )
    c.add_port("o1", 0, 0, 180, to_dbu(width1), layers.WG)
    c.add_port("o2", to_dbu(length), 0, 0, to_dbu(width2), layers.WG)
    return c
