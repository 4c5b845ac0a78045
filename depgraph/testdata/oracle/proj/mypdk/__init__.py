"""A PDK built on the fake gdsfactory: its registry is what get_component("...") finds."""

import gf
from gf.get_factories import get_cells
from mypdk import cells
from mypdk.cells import *

PDK = gf.Pdk(name="mypdk", cells=get_cells([gf.components, cells]), cross_sections=gf.cross_section.cross_sections)
PDK.activate()
