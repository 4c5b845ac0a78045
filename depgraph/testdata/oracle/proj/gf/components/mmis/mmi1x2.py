__all__ = ["mmi1x2", "mmi_from_gds"]

import os

import gf
from gf.components.tapers.taper import taper

taper_function = taper


@gf.cell_with_module_name
def mmi1x2(width=0.5, length_mmi=5.5, width_mmi=2.5, taper=taper_function):
    c = gf.Component()
    c.add_polygon([(0, -width_mmi / 2), (length_mmi, -width_mmi / 2), (length_mmi, width_mmi / 2), (0, width_mmi / 2)], (1, 0))
    t = taper(length=5.0, width1=width, width2=1.0)
    for name, x, y, angle in (("o1", 0, 0, 180), ("o2", length_mmi, 0.5, 0), ("o3", length_mmi, -0.5, 0)):
        ref = c << t
        ref.move((x, y)).rotate(angle)
        c.add_port(name, (x, y), width, angle)
    c.add_padding(default=0.5)
    return c


@gf.cell_with_module_name
def mmi_from_gds():
    c = gf.import_gds(os.path.join(os.path.dirname(__file__), "gds", "mmi.gds"))
    c.add_port("o1", (0, 0), 0.5, 180)
    return c
