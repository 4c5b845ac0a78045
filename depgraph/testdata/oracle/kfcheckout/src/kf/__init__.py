"""A fake kfactory: cells made by a layout object's decorator (@kcl.cell)."""

from functools import partial

from kf.layout import KCLayout, kcl

vcell = partial(kcl.cell, check=False)

__all__ = ["KCLayout", "kcl", "partial", "vcell"]
