"""The component factories of mypdk."""

from mypdk.components.mmi import mmi1x2
from mypdk.components.mzi import mzi
from mypdk.components.pads import pad
from mypdk.components.tapers import taper
from mypdk.components.waveguides import bend_circular, straight

__all__ = ["bend_circular", "mmi1x2", "mzi", "pad", "straight", "taper"]
