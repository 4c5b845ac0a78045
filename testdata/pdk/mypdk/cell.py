"""The @cell decorator: cache cells by parameters and name them as kfactory does.

    @cell
    def straight(width: float = 0.5, length: float = 10.0) -> KCell: ...

    @cell(check_ports=True)
    def mmi1x2(...): ...

Calling a factory twice with the same parameters returns the same cell. The cell
is named by mypdk.naming.get_cell_name from the factory's name and all of its
parameters (defaults included), and its metadata (function_name, module,
parameters, ports) is recorded in METADATA and, on KLayout 0.28.8 and later, on
the cell as persisted meta info (kfactory:settings:function_name, ...).

Cells reused across builds (opt-in, under lywatch): when lywatch gives the build
the target's last good layout (LYWATCH_SESSION_LAYOUT) and the factories
invalidated since (LYWATCH_INVALIDATED), a factory that is not invalidated loads
its cell from that layout instead of computing it, with its ports and metadata
from the .cells.json that build.py wrote beside the same layout (its SHA-256 is
checked). Set MYPDK_NO_REUSE=1 to compute every cell.
"""

import functools
import gzip
import hashlib
import inspect
import json
import os

import pya

from mypdk.kcell import KCell, Port, kcl, layer
from mypdk.naming import get_cell_name

# Cell name -> {"function_name", "module", "settings"}; read by build.py.
METADATA = {}

# Factory name -> the decorated function (like kcl.factories in kfactory).
FACTORIES = {}

# Names of the cells loaded from the last good layout; read by build.py.
REUSED = []


def _record_meta(c, fname, module, settings):
    ports = [[key, p.name, p.x, p.y, p.angle, p.width, list(p.layer_info)] for key, p in c.ports.items()]
    METADATA[c.name] = {"function_name": fname, "module": module, "settings": settings, "ports": ports}
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


class _Session:
    """The cells of the last good layout that lywatch says are still current."""

    def __init__(self, layout, cells, stale):
        self.layout = layout  # a pya.Layout read from LYWATCH_SESSION_LAYOUT
        self.cells = cells  # cell name -> its METADATA entry when it was built
        self.stale = stale  # the factories invalidated since

    def usable(self, name):
        """Whether cell name, and every cell below it, was made by a factory not invalidated since."""
        src = self.layout.cell(name)
        if src is None:
            return False
        for ci in [src.cell_index()] + list(src.called_cells()):
            info = self.cells.get(self.layout.cell(ci).name)
            if info is None or info["function_name"] in self.stale:
                return False
        return True

    def copy(self, name):
        """Return kcl's cell called name, copied with its children from the session if kcl has none."""
        have = kcl.cell(name)
        if have is not None:
            return have
        src = self.layout.cell(name)
        dst = kcl.create_cell(name)
        for li in self.layout.layer_indexes():
            info = self.layout.get_info(li)
            dst.shapes(layer((info.layer, info.datatype))).insert(src.shapes(li))
        for inst in src.each_inst():
            arr = inst.cell_inst.dup()
            arr.cell_index = self.copy(inst.cell.name).cell_index()
            dst.insert(arr)
        info = self.cells[name]
        METADATA[name] = info
        REUSED.append(name)
        return dst

    def load(self, name):
        """Return a KCell for cell name from the session, with its ports; None when it cannot be reused."""
        if not self.usable(name):
            return None
        c = KCell(cell=self.copy(name))
        for key, pname, x, y, angle, width, li in self.cells[name]["ports"]:
            c.ports[key] = Port(pname, x, y, angle, width, tuple(li))
        return c


def _open_session():
    """The session lywatch gives this build, when its layout and .cells.json agree; else None."""
    path = os.environ.get("LYWATCH_SESSION_LAYOUT")
    invalidated = os.environ.get("LYWATCH_INVALIDATED")
    output = os.environ.get("LYWATCH_OUTPUT", "")
    if not path or invalidated is None or not output or os.environ.get("MYPDK_NO_REUSE"):
        return None
    side = (output[:-4] if output.endswith(".gds") else output) + ".cells.json"
    try:
        with open(side) as f:
            meta = json.load(f)
        with open(path, "rb") as f:
            data = f.read()
    except (OSError, ValueError):
        return None
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if hashlib.sha256(data).hexdigest() != meta.get("gds_sha256"):
        return None  # the side file is of another build than the session's layout
    layout = pya.Layout()
    layout.read(path)
    return _Session(layout, meta.get("cells") or {}, set(invalidated.split()))


_session = []  # [the _Session or None], opened on first use


def session():
    """The cells this build may reuse from the last good one (None: compute every cell)."""
    if not _session:
        _session.append(_open_session())
    return _session[0]


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
            s = session()
            if s is not None and func.__name__ not in s.stale:
                c = s.load(get_cell_name(fname, **params))
                if c is not None:
                    cache[key] = c
                    return c
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
