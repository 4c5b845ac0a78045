"""The component library, re-exported from subpackages by star imports."""

from . import bends, couplers, mmis, shapes, tapers, waveguides
from .bends import *
from .couplers import *
from .mmis import *
from .shapes import *
from .tapers import *
from .waveguides import *

__all__ = [
    "bend_circular",
    "bend_euler",
    "bends",
    "compass",
    "coupler",
    "coupler90",
    "couplers",
    "mmi1x2",
    "mmi_from_gds",
    "mmis",
    "rectangle",
    "shapes",
    "straight",
    "taper",
    "taper_from_csv",
    "taper_strip_to_ridge",
    "taper_strip_to_slab150",
    "tapers",
    "terminator",
    "waveguides",
    "wire_straight",
]
