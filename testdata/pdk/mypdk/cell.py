"""The @cell decorator: cache cells by parameters and name them as kfactory does.

    @cell
    def straight(width: float = 0.5, length: float = 10.0) -> KCell: ...

    @cell(check_ports=True)
    def mmi1x2(...): ...

Calling a factory twice with the same parameters returns the same cell. The cell
is named by mypdk.naming.get_cell_name from the factory's name and all of its
parameters (defaults included), and its metadata (function_name, module,
parameters) is recorded in METADATA and, on KLayout 0.28.8 and later, on the
cell as persisted meta info (kfactory:settings:function_name, ...).
"""

import functools
import inspect

import pya

from mypdk.kcell import KCell, kcl
from mypdk.naming import get_cell_name

# Cell name -> {"function_name", "module", "settings"}; read by build.py.
METADATA = {}

# Factory name -> the decorated function (like kcl.factories in kfactory).
FACTORIES = {}


def _record_meta(c, fname, module, settings):
    METADATA[c.name] = {"function_name": fname, "module": module, "settings": settings}
    if not hasattr(c.cell, "add_meta_info"):  # KLayout < 0.28.8: no per-cell meta
        return
    # Persisted meta goes into the GDS context info, under kfactory's keys.
    items = [("kfactory:settings:function_name", fname)]
    for k, v in settings.items():
        if not isinstance(v, (bool, int, float, str)):
            v = repr(v)
        items.append(("kfactory:settings:" + k, v))
    try:
        for key, value in items:
            c.cell.add_meta_info(pya.LayoutMetaInfo(key, value, None, True))
    except (TypeError, AttributeError, RuntimeError):
        pass


def _check_ports(c):
    for p in c.ports.values():
        if p.width <= 0 or p.width % 2:
            raise ValueError("%s: port %s has width %d dbu, want even and positive" % (c.name, p.name, p.width))


def _key(value):
    """Return a cache key for a parameter; 10 and 10.0 name the same cell, so share it."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return repr(value)


def cell(_func=None, *, basename=None, check_ports=False):
    """Decorate a factory returning a KCell; use as @cell or @cell(basename=..., check_ports=...)."""

    def decorator(func):
        sig = inspect.signature(func)
        cache = {}
        fname = basename or func.__name__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            params = dict(bound.arguments)
            key = tuple(sorted((k, _key(v)) for k, v in params.items()))
            if key in cache:
                return cache[key]
            c = func(**params)
            if not isinstance(c, KCell):
                raise TypeError("factory %s returned %r, want a KCell" % (fname, c))
            c.cell.name = get_cell_name(fname, **params)
            if check_ports:
                _check_ports(c)
            _record_meta(c, func.__name__, func.__module__, params)
            cache[key] = c
            return c

        wrapper.cache = cache
        FACTORIES[fname] = wrapper
        return wrapper

    if _func is not None:
        return decorator(_func)
    return decorator


def cell_count():
    """Return the number of cells in the shared layout."""
    return kcl.cells()
