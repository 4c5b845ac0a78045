"""The example chip: three MZIs with heaters and pads, a reference MMI, labels."""

import pya

import mypdk as pdk
from mypdk import layers
from mypdk.components import mmi1x2, mzi, pad, straight
from mypdk.helpers import box, text, to_dbu
from mypdk.kcell import DBU

CHIP_WIDTH = 1200.0  # um; the height follows from the number of rows
DELTA_LENGTHS = (10.0, 20.0, 40.0)  # um, one MZI per value
PITCH = 200.0  # um between MZI rows
PAD_X = (200.0, 520.0)  # um, x of the two heater pads of each row
PAD_ABOVE = 130.0  # um from a row's waveguide to its pads' centres
METAL_WIDTH = 5.0  # um


def _route_metal(c, port, target):
    """Draw a metal path from an electrical port up, then across into the pad at target."""
    ty = target.y + to_dbu(20.0)  # run across inside the pad metal
    pts = [pya.Point(port.x, port.y), pya.Point(port.x, ty), pya.Point(target.x, ty)]
    c.shapes(layers.METAL).insert(pya.Path(pts, to_dbu(METAL_WIDTH)))


@pdk.cell
def chip() -> pdk.KCell:
    """The top cell: MZIs fed from the chip edges, heater pads and labels."""
    c = pdk.KCell()
    w, h = CHIP_WIDTH, 100.0 + len(DELTA_LENGTHS) * PITCH
    c.shapes(layers.FLOORPLAN).insert(box(0, 0, w, h))
    p = pad()
    for i, dl in enumerate(DELTA_LENGTHS):
        y = 100.0 + i * PITCH
        m = mzi(delta_length=dl)
        inst = c.create_inst(m, pya.Trans(to_dbu(300.0), to_dbu(y)))
        c.connect(straight(length=300.0), "o2", inst.ports["o1"])
        out_len = round(w - inst.ports["o2"].x * DBU, 3)
        c.connect(straight(length=out_len), "o1", inst.ports["o2"])
        for name, pad_x in zip(("e1", "e2"), PAD_X):
            pi = c.create_inst(p, pya.Trans(to_dbu(pad_x), to_dbu(y + PAD_ABOVE)))
            _route_metal(c, inst.ports[name], pi.ports["e1"])
        c.shapes(layers.TEXT).insert(text("MZI dL=%g um" % dl, 20.0, y + 30.0))
    ref = mmi1x2()
    c.create_inst(ref, pya.Trans(to_dbu(50.0), to_dbu(h - 50.0)))
    c.shapes(layers.TEXT).insert(text("mypdk demo chip", 20.0, h - 20.0, size=20.0))
    return c
