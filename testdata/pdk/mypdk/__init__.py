"""mypdk: a small kfactory-shaped photonic PDK that needs only KLayout's pya.

Use ``import mypdk as pdk`` and ``@pdk.cell`` to write factories, or import
the components from mypdk.components. Without pya (plain python3) only
mypdk.naming and mypdk.layers are usable.
"""

from mypdk import layers

try:
    import pya  # noqa: F401  (KLayout's Python module)
except ImportError:
    pya = None

if pya is not None:
    from mypdk.cell import FACTORIES, METADATA, REUSED, cell
    from mypdk.kcell import KCell, kcl, layer

__all__ = ["FACTORIES", "KCell", "METADATA", "REUSED", "cell", "kcl", "layer", "layers"]
