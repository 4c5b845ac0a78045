"""A fake gdsfactory: gdsfactory's idioms in pure Python, for lywatch's oracle tests."""

from functools import partial

from gf._cell import cell, cell_with_module_name, vcell
from gf.component import Component, ComponentReference, Port
from gf.pdk import Pdk, get_active_pdk, get_component, get_cross_section
from gf.read import from_yaml, import_csv, import_gds
from gf import components
from gf import cross_section

c = components

__all__ = [
    "Component",
    "ComponentReference",
    "Pdk",
    "Port",
    "c",
    "cell",
    "cell_with_module_name",
    "components",
    "cross_section",
    "from_yaml",
    "get_active_pdk",
    "get_component",
    "get_cross_section",
    "import_csv",
    "import_gds",
    "partial",
    "vcell",
]
