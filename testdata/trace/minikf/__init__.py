"""minikf: a kfactory-shaped fixture for lywatch's tests, pure Python
around KLayout's pya.

KCell.show() finds its show function the way kfactory's settings do: the
environment variable KFACTORY_SHOW_FUNCTION (kfactory's pydantic settings,
prefix KFACTORY_, case-insensitive) names "pkg.module.func"; the module is
imported, the function looked up with getattr and called as
func(cell, lyrdb=..., l2n=..., keep_position=..., save_options=...,
use_libraries=..., library_save_options=...), kfactory's ShowFunction
keywords. Without the setting, kfactory would send the cell to klive; here
that is an error, so a test sees a show() that was not traced.
"""

import importlib
import os

import pya


def _show_function():
    value = None
    for key, v in os.environ.items():
        if key.lower() == "kfactory_show_function":
            value = v
    if not value:
        return None
    mod, f = value.rsplit(".", 1)
    return getattr(importlib.import_module(mod), f)


class KCell:
    """A cell as kfactory's KCell presents it: a name, write() and show()."""

    def __init__(self, cell):
        self._kdb_cell = cell

    @property
    def name(self):
        return self._kdb_cell.name

    def write(self, filename, save_options=None):
        if save_options is None:
            self._kdb_cell.write(filename)
        else:
            self._kdb_cell.write(filename, save_options)

    def show(self, keep_position=True):
        show = _show_function()
        if show is None:
            raise RuntimeError("minikf: no KFACTORY_SHOW_FUNCTION: kfactory would send this cell to klive")
        opts = pya.SaveLayoutOptions()
        show(
            self,
            lyrdb=None,
            l2n=None,
            keep_position=keep_position,
            save_options=opts,
            use_libraries=True,
            library_save_options=opts,
        )
