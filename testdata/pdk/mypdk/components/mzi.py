"""Mach-Zehnder interferometer built from MMIs, bends and straights."""

from mypdk import layers
from mypdk.cell import cell
from mypdk.components.mmi import mmi1x2
from mypdk.components.waveguides import bend_circular, straight
from mypdk.helpers import box, to_dbu
from mypdk.kcell import DBU, KCell

HEATER_WIDTH = 2.0  # um
CONTACT_SIZE = 8.0  # um square metal contact at each heater end


def _arm(c, start, length_y, length_x, radius, width, up):
    """Route one arm from port start: out (up or down), across, back; return its ports.

    The arm is four bends, two vertical straights of length_y and one horizontal
    straight of length_x. Returns (end port, horizontal straight instance).
    """
    bend = bend_circular(width=width, radius=radius)
    vertical = straight(width=width, length=length_y)
    horizontal = straight(width=width, length=length_x)
    b1 = c.connect(bend, "o1", start, mirror=not up)
    v1 = c.connect(vertical, "o1", b1.ports["o2"])
    b2 = c.connect(bend, "o1", v1.ports["o2"], mirror=up)
    h = c.connect(horizontal, "o1", b2.ports["o2"])
    b3 = c.connect(bend, "o1", h.ports["o2"], mirror=up)
    v2 = c.connect(vertical, "o1", b3.ports["o2"])
    b4 = c.connect(bend, "o1", v2.ports["o2"], mirror=not up)
    return b4.ports["o2"], h


@cell
def mzi(
    delta_length: float = 10.0,
    length_y: float = 2.0,
    length_x: float = 60.0,
    radius: float = 10.0,
    width: float = 0.5,
    with_heater: bool = True,
) -> KCell:
    """An MZI whose top arm is delta_length longer than the bottom one.

    Ports: o1 (west input), o2 (east output) and, with a heater on the top arm,
    e1 and e2 on the heater's metal contacts.
    """
    c = KCell()
    splitter = c.create_inst(mmi1x2(width=width))
    top_end, top_h = _arm(
        c, splitter.ports["o2"], length_y + delta_length / 2, length_x, radius, width, up=True
    )
    bottom_end, _ = _arm(c, splitter.ports["o3"], length_y, length_x, radius, width, up=False)
    combiner = c.connect(mmi1x2(width=width), "o3", top_end)
    got = combiner.ports["o2"]
    if (got.x, got.y) != (bottom_end.x, bottom_end.y):
        raise ValueError("mzi arms do not meet: %r vs %r" % (got, bottom_end))
    c.ports["o1"] = splitter.ports["o1"]
    c.ports["o2"] = combiner.ports["o1"]
    if with_heater:
        x0, x1 = top_h.ports["o1"].x * DBU, top_h.ports["o2"].x * DBU
        y = top_h.ports["o1"].y * DBU
        c.shapes(layers.HEATER).insert(box(x0, y - HEATER_WIDTH / 2, x1, y + HEATER_WIDTH / 2))
        s = CONTACT_SIZE
        for name, x in (("e1", x0), ("e2", x1 - s)):
            c.shapes(layers.METAL).insert(box(x, y - s / 2, x + s, y + s / 2))
            c.add_port(name, to_dbu(x + s / 2), to_dbu(y + s / 2), 90, to_dbu(s), layers.METAL)
    return c
