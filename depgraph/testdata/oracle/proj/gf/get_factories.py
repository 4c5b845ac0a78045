"""Collect the cells of modules into a registry."""

import functools


def get_cells(modules):
    cells = {}
    for m in modules:
        for name in dir(m):
            f = getattr(m, name)
            target = f.func if isinstance(f, functools.partial) else f
            if getattr(target, "is_cell", False):
                cells[name] = f
    return cells
