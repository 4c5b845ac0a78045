"""Trace a layout as a build draws it: each frame goes to lywatch.

lywatch puts this module on the build's PYTHONPATH and names a folder in
LYWATCH_TRACE. Inside a build that lywatch runs:

    import lywatch_trace
    lywatch_trace.frame(layout, label="after the ring")

hands lywatch one frame: a pya Layout or Cell, a kfactory KCell or
KCLayout, a gdsfactory Component (anything with write_gds or write), or
the path of a GDS file. lywatch shows it in KLayout as it arrives and
keeps it with the build's history frame (`lywatch replay --build N`).

kfactory's and gdsfactory's show() become frames too: lywatch sets
KFACTORY_SHOW_FUNCTION=lywatch_trace.show, which kfactory calls instead of
sending the cell to klive.

Outside lywatch (LYWATCH_TRACE unset) every call does nothing and returns
False, so a build script can keep its calls. A build never waits for
lywatch: a frame costs what writing its layout costs. The number of frames
and their total size are bounded (LYWATCH_TRACE_FRAMES,
LYWATCH_TRACE_BYTES); frames past the bounds are counted, not written.
"""

import json
import os
import shutil
import time

try:
    import fcntl
except ImportError:  # not on Unix: one process per build is assumed
    fcntl = None

__all__ = ["enabled", "frame", "show", "trace_inserts", "stop_inserts"]

ENV_DIR = "LYWATCH_TRACE"
ENV_FRAMES = "LYWATCH_TRACE_FRAMES"
ENV_BYTES = "LYWATCH_TRACE_BYTES"
ENV_TARGET = "LYWATCH_TARGET"

_STATE = ".state"
_DEFAULT_FRAMES = 200
_DEFAULT_BYTES = 64 << 20


def _folder():
    """The build's trace folder, or None outside lywatch."""
    base = os.environ.get(ENV_DIR)
    if not base:
        return None
    d = os.path.join(base, os.environ.get(ENV_TARGET) or "default")
    if not os.path.isdir(d):
        os.makedirs(d, exist_ok=True)
    return d


def _limit(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def enabled():
    """True inside a build that lywatch traces."""
    return bool(os.environ.get(ENV_DIR))


class _Locked:
    """The folder's counters, read and written under an exclusive lock
    (builds may trace from several processes)."""

    def __init__(self, folder):
        self.path = os.path.join(folder, _STATE)

    def __enter__(self):
        self.f = open(self.path, "a+")
        if fcntl is not None:
            fcntl.flock(self.f.fileno(), fcntl.LOCK_EX)
        self.f.seek(0)
        text = self.f.read()
        self.state = {"next": 0, "kept": 0, "bytes": 0, "dropped": 0}
        if text:
            try:
                self.state.update(json.loads(text))
            except ValueError:
                pass
        return self.state

    def __exit__(self, *exc):
        try:
            self.f.seek(0)
            self.f.truncate()
            self.f.write(json.dumps(self.state))
            self.f.flush()
        finally:
            if fcntl is not None:
                fcntl.flock(self.f.fileno(), fcntl.LOCK_UN)
            self.f.close()
        return False


def _reserve(folder):
    """A sequence number for the next frame, or None past the count bound."""
    with _Locked(folder) as st:
        if st["kept"] >= _limit(ENV_FRAMES, _DEFAULT_FRAMES):
            st["dropped"] += 1
            return None
        st["next"] += 1
        st["kept"] += 1
        return st["next"]


def _admit(folder, size):
    """Count a written frame's bytes; False (and dropped) past the size bound."""
    with _Locked(folder) as st:
        if st["bytes"] + size > _limit(ENV_BYTES, _DEFAULT_BYTES):
            st["kept"] -= 1
            st["dropped"] += 1
            return False
        st["bytes"] += size
        return True


def _cell_name(obj):
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    top = getattr(obj, "top_cell", None)
    if callable(top):
        try:
            c = top()
            return c.name if c is not None else ""
        except Exception:  # several top cells
            return ""
    return ""


def _write(obj, path):
    """Write obj as GDS at path; returns the cell name it holds, if known."""
    if isinstance(obj, (str, os.PathLike)):
        shutil.copyfile(os.fspath(obj), path)
        return ""
    if hasattr(obj, "write_gds"):  # gdsfactory Component
        obj.write_gds(path)
        return _cell_name(obj)
    if hasattr(obj, "write"):  # pya Layout or Cell, kfactory KCell or KCLayout
        obj.write(path)
        return _cell_name(obj)
    raise TypeError(
        "lywatch_trace.frame: cannot write a %s; give a pya Layout or Cell, a kfactory "
        "KCell or KCLayout, a gdsfactory Component or the path of a GDS file" % type(obj).__name__
    )


def frame(obj, label=None):
    """Hand lywatch one frame of the layout; returns True when it was kept.

    obj is a pya Layout or Cell, a kfactory KCell or KCLayout, a gdsfactory
    Component (anything with write_gds or write) or the path of a GDS file.
    label says what the step is ("after the ring"). Outside lywatch, or
    past the bounds of the trace, nothing is written and it returns False.
    """
    folder = _folder()
    if folder is None:
        return False
    seq = _reserve(folder)
    if seq is None:
        return False
    name = "%06d.gds" % seq
    tmp = os.path.join(folder, ".%06d.tmp.gds" % seq)
    try:
        cell = _write(obj, tmp)
        size = os.path.getsize(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        with _Locked(folder) as st:
            st["kept"] -= 1
        raise
    if not _admit(folder, size):
        os.remove(tmp)
        return False
    os.replace(tmp, os.path.join(folder, name))
    meta = {"seq": seq, "file": name, "size": size, "time": time.time(), "pid": os.getpid()}
    if label is not None:
        meta["label"] = str(label)
    if cell:
        meta["cell"] = cell
    mtmp = os.path.join(folder, ".%06d.tmp.json" % seq)
    with open(mtmp, "w") as f:
        json.dump(meta, f)
    # The record comes last: lywatch reads a frame when its record appears.
    os.replace(mtmp, os.path.join(folder, "%06d.json" % seq))
    return True


def show(layout, **kwargs):
    """kfactory's show function (KFACTORY_SHOW_FUNCTION=lywatch_trace.show):
    the cell or layout kfactory's or gdsfactory's show() was given becomes a
    frame. The klive options (keep_position, lyrdb, ...) are ignored."""
    frame(layout, label="show")


_patched = {}


def trace_inserts(every=1, label="insert"):
    """Record a frame after every `every` shape or instance insert into a pya
    cell (pya.Shapes.insert and pya.Cell.insert), as lyipc's tracer does:
    `lywatch replay --build N` then steps through a factory's drawing. The
    frame is the whole layout the insert went into. stop_inserts() ends it.
    """
    if _patched or not enabled():
        return
    import pya

    count = [0]

    def after(layout):
        if layout is None:
            return
        count[0] += 1
        if count[0] % every == 0:
            frame(layout, label="%s %d" % (label, count[0]))

    def wrap(cls, layout_of):
        orig = cls.insert

        def insert(self, *args, **kwargs):
            result = orig(self, *args, **kwargs)
            after(layout_of(self))
            return result

        _patched[cls] = orig
        cls.insert = insert

    wrap(pya.Shapes, lambda shapes: shapes.layout())
    wrap(pya.Cell, lambda cell: cell.layout())


def stop_inserts():
    """Undo trace_inserts()."""
    for cls, orig in list(_patched.items()):
        cls.insert = orig
    _patched.clear()
