"""The lywatch server macro's real request path, served to a Go fuzz target
(FuzzServerRequest in klayout/serverfuzz_test.go) with pya stubbed:

    python3 fuzz_server.py server.py

Each request framed on stdin is fed, as a client's bytes, to a new
Connection of a new Server: the macro's own classes, so the same parsing,
token check, dispatch and reply a TCP client gets. The Server's Guard has a
real token and a project root in a sandbox folder; its KLayout is a
stand-in that checks everything that reaches it. When the request is done
the client goes (Server.drop, as on a disconnect). Facts about the request
go back for the Go side to judge; the checks that need this side's view of
the files are made here and reported as violations:

  * a value KLayout could not take (an image of -5 pixels, a colour that is
    no #rrggbb, a string that is no UTF-8, ...) raises Violation, which no
    `except Exception` of the server catches;
  * a layout or report database read from outside the allowed folders (the
    project root, the root the request named when it was authenticated, the
    server's own folder) or from a file that is not there;
  * a file written, changed or removed outside the allowed folders, or a
    temporary file left behind once the client has gone;
  * a request served with a field of the wrong type (quit's force "no",
    set_layer_visible's visible "false", ...).

An exception that escapes the server's handling (KLayout's on_ready_read
would only log it, and the client would wait for ever) is answered "CRASH"
and the traceback.

Frames in: one byte of flags, then the request line and the bytes after
it, each as a 4-byte big-endian length and the bytes. The line holds no
newline; of the bytes after it, those the request's payload wants are fed.
Flags: 0x08 the view holds unsaved edits, 0x10 lyipc compatibility on,
0x20 klive compatibility on, 0x40 the client is on another machine (the
other bits are the Go side's).

Frames out: a 4-byte big-endian length and JSON, or b"CRASH " (an
exception the server did not answer) or b"VIOLATION " (a value KLayout
could not take) and a traceback. The first describes the sandbox:
{"base", "root", "outside", "images", "token"}. Then one per request: {"replies": the lines the client
got, "kind": "json", "klive", "text", "malformed" or "blank" (this side's
own reading of the line), "token_ok": the line's token is the server's,
"id": the id a reply must carry, "pending": the payload is still wanted,
"closed": the server closed the connection, "calls": what reached KLayout,
"violations": [...]}."""

import atexit
import json
import math
import os
import secrets
import shutil
import stat
import struct
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyastub  # noqa: E402 (beside this file)

# Frames go to the real stdout; what the macro prints goes nowhere.
FRAMES = os.fdopen(os.dup(1), "wb")
_devnull = open(os.devnull, "w")
os.dup2(_devnull.fileno(), 1)
sys.stdout = _devnull

srv = pyastub.load_server(sys.argv[1])
pya = pyastub.pya

TOP = os.path.realpath(tempfile.mkdtemp(prefix="lywatch-fuzz-"))
atexit.register(shutil.rmtree, TOP, True)
TMP = os.path.join(TOP, "tmp")  # the process's temporary folder: empty after each request
os.mkdir(TMP)
tempfile.tempdir = TMP
BASE = os.path.join(TOP, "base")
ROOT = os.path.join(BASE, "root")  # the project root the server starts with
OUTSIDE = os.path.join(BASE, "outside")  # allowed to no one
IMAGES = os.path.join(BASE, "images")  # the server's image folder
OWN = os.path.join(BASE, "own")  # the server's own folder (quit removes it)
SPOOL = os.path.join(OWN, "spool")
LAYOUT = os.path.join(ROOT, "chip.gds")
TOKEN = secrets.token_hex(32)
MODES = ("reload", "new", "replace", "add")
CELLS = ("TOP", "A", "B_1")


def build_sandbox():
    """(Re)makes the sandbox's files, links into the outside among them."""
    shutil.rmtree(BASE, ignore_errors=True)
    for d in (ROOT, os.path.join(ROOT, "sub"), os.path.join(ROOT, "dir.png"), OUTSIDE, IMAGES, SPOOL):
        os.makedirs(d)
    files = {
        LAYOUT: b"GDS of chip", os.path.join(ROOT, "sub", "inner.gds"): b"GDS",
        os.path.join(ROOT, "diff.lyrdb"): b"<report-database/>", os.path.join(ROOT, "old.png"): b"PNG",
        os.path.join(ROOT, "style.lyp"): b"<layer-properties/>",
        os.path.join(OUTSIDE, "secret.gds"): b"not yours", os.path.join(OUTSIDE, "victim.png"): b"not yours",
        os.path.join(OUTSIDE, "notes.lyrdb"): b"<report-database/>", os.path.join(IMAGES, "old.png"): b"PNG",
    }
    for path, data in files.items():
        with open(path, "wb") as f:
            f.write(data)
    for name, target in (("escape", "../outside"), ("escape.png", "../outside/victim.png"),
                         ("evil.gds", "../outside/secret.gds"), ("dangling.png", "../outside/none.png"),
                         ("loop", "loop")):
        os.symlink(target, os.path.join(ROOT, name))


def snapshot():
    """Every entry of the sandbox (links not followed) and its state."""
    snap = {}
    for top in (BASE, TMP):
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                link = os.readlink(p) if stat.S_ISLNK(st.st_mode) else ""
                snap[p] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ino, link)
    return snap


def inside(path, root):
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


class Violation(BaseException):
    """Something KLayout could not take: no `except Exception` catches it."""


def need(ok, what):
    if not ok:
        raise Violation(what)


def klayout_int(v, lo, hi, what):
    need(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi,
         "%s: KLayout got %r, not a whole number from %d to %d" % (what, v, lo, hi))


def klayout_str(v, what):
    """A string pya can pass to KLayout: UTF-8, no NUL."""
    need(isinstance(v, str), "%s: KLayout got %r, not a string" % (what, v))
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise Violation("%s: KLayout got %r, not UTF-8" % (what, v))
    need("\0" not in v, "%s: KLayout got %r, with a NUL" % (what, v))


class Frame(object):
    """What one request did."""

    def __init__(self, dirty):
        self.dirty = dirty
        self.calls = []
        self.violations = []
        self.read_roots = [ROOT, SPOOL]

    def call(self, *what):
        self.calls.append(" ".join(str(w) for w in what))

    def read(self, op, path, must_exist=True):
        """A file KLayout reads: inside the allowed folders, and there."""
        self.call(op, path)
        klayout_str(path, op + " path")
        need(os.path.isabs(path), "%s: relative path %r reached KLayout" % (op, path))
        real = os.path.realpath(path)
        if not any(inside(real, r) for r in self.read_roots):
            self.violations.append("%s read %s (%s), outside the allowed folders %s" % (op, path, real, self.read_roots))
        elif must_exist and not os.path.isfile(real):
            self.violations.append("%s read %s, which is no file" % (op, path))


F = Frame(False)


class DBox(object):
    def __init__(self, *v):
        need(len(v) == 4, "DBox of %r" % (v,))
        for x in v:
            need(isinstance(x, float) and math.isfinite(x), "DBox: KLayout got %r, not a finite float" % (x,))
        self.left, self.bottom, self.right, self.top = v


class Timer(object):
    """pya.QTimer: records the start and never fires (quit's would end the
    process)."""

    def setSingleShot(self, on):
        pass

    def timeout(self, fn):
        pass

    def start(self, ms):
        F.call("timer", ms)

    def stop(self):
        pass


class Logger(object):
    @staticmethod
    def warn(text):
        pass


pya.DBox = DBox
pya.QTimer = Timer
pya.Logger = Logger


class Node(object):
    """A leaf of the layer tree."""

    def __init__(self, layer, datatype, name=""):
        self.source_layer, self.source_datatype, self.source_name, self.name = layer, datatype, "", name
        self._visible, self._fill, self._frame = True, 0x808080, 0x808080

    def has_children(self):
        return False

    def source(self, real):
        return "%d/%d@1" % (self.source_layer, self.source_datatype)

    @property
    def visible(self):
        return self._visible

    @visible.setter
    def visible(self, v):
        need(isinstance(v, bool), "visible: KLayout got %r" % (v,))
        F.call("visible", self.source(True), v)
        self._visible = v

    @property
    def fill_color(self):
        return self._fill

    @fill_color.setter
    def fill_color(self, v):
        klayout_int(v, 0, 0xffffff, "fill_color (#rrggbb)")
        F.call("fill_color", v)
        self._fill = v

    @property
    def frame_color(self):
        return self._frame

    @frame_color.setter
    def frame_color(self, v):
        klayout_int(v, 0, 0xffffff, "frame_color (#rrggbb)")
        self._frame = v


class LayerIter(object):
    def __init__(self, nodes):
        self.nodes, self.i = nodes, 0

    def at_end(self):
        return self.i >= len(self.nodes)

    def current(self):
        return self.nodes[self.i]

    def next(self):
        self.i += 1


class Layout(object):
    dbu = 0.001

    def has_cell(self, name):
        if not isinstance(name, str):
            raise TypeError("Layout.has_cell: expected a string, got %r" % (name,))  # as pya answers
        klayout_str(name, "has_cell")
        return name in CELLS


class CellView(object):
    def __init__(self):
        self.ly, self._cell = Layout(), "TOP"
        self.path = []

    def is_valid(self):
        return True

    def filename(self):
        return LAYOUT

    def layout(self):
        return self.ly

    def is_dirty(self):
        return F.dirty

    @property
    def cell_name(self):
        return self._cell

    @cell_name.setter
    def cell_name(self, name):
        klayout_str(name, "cell_name")
        need(name in CELLS, "cell_name: no cell %r" % (name,))
        F.call("cell", name)
        self._cell = name


class View(object):
    def __init__(self):
        self.cv = CellView()
        self.nodes = [Node(1, 0), Node(2, 0, "metal"), Node(1, 0, "again")]
        self._box = DBox(0.0, 0.0, 10.0, 10.0)
        self._min, self._max = 0, 1

    def active_cellview(self):
        return self.cv

    def active_cellview_index(self):
        return 0

    def cellviews(self):
        return 1

    def cellview(self, i):
        klayout_int(i, 0, 0, "cellview index")
        return self.cv

    def begin_layers(self):
        return LayerIter(self.nodes)

    def box(self):
        return self._box

    def zoom_box(self, box):
        need(isinstance(box, DBox), "zoom_box: KLayout got %r" % (box,))
        F.call("zoom_box", box.left, box.bottom, box.right, box.top)
        self._box = box

    def zoom_fit(self):
        F.call("zoom_fit")

    @property
    def min_hier_levels(self):
        return self._min

    @min_hier_levels.setter
    def min_hier_levels(self, v):
        klayout_int(v, 0, 1000, "min_hier_levels")
        F.call("min_hier", v)
        self._min = v

    @property
    def max_hier_levels(self):
        return self._max

    @max_hier_levels.setter
    def max_hier_levels(self, v):
        klayout_int(v, 0, 1000, "max_hier_levels")
        F.call("max_hier", v)
        self._max = v

    def save_image(self, path, w, h):
        """Writes a stand-in PNG; never outside the sandbox."""
        klayout_str(path, "save_image path")
        klayout_int(w, 1, srv.MAX_IMAGE_SIDE, "save_image width")
        klayout_int(h, 1, srv.MAX_IMAGE_SIDE, "save_image height")
        need(w * h <= srv.MAX_IMAGE_PIXELS, "save_image: %dx%d pixels" % (w, h))
        F.call("save_image", path, w, h)
        if not inside(os.path.realpath(path), TOP):
            raise RuntimeError("fuzz sandbox: not writing %s" % path)
        with open(path, "wb") as f:
            f.write(b"\x89PNG stand-in")


class Window(object):
    def __init__(self):
        self.v = View()
        self.current_view_index = 0

    def views(self):
        return 1

    def view(self, i):
        klayout_int(i, 0, 0, "view index")
        return self.v

    def current_view(self):
        return self.v

    def message(self, text, ms):
        klayout_str(text, "message")
        klayout_int(ms, -(1 << 31), (1 << 31) - 1, "message timeout (ms)")
        F.call("message", repr(text)[:40], ms)

    def get_config(self, key):
        return ""


class Viewer(srv.Viewer):
    """The macro's Viewer, on the stand-in window; what needs a real layout
    (loading, reports, status) is a stand-in that checks its arguments."""

    def load(self, path, mode="reload", force=False, extra=None):
        F.read("load", path)
        need(mode in MODES and isinstance(force, bool), "load: mode %r, force %r" % (mode, force))
        extra = extra or {}
        need(set(extra) <= {"factories", "layer_properties", "activate"}, "load: extra %r" % (extra,))
        fac = extra.get("factories", {})
        need(isinstance(fac, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in fac.items()),
             "load: factories %r" % (fac,))
        if "layer_properties" in extra:
            klayout_str(extra["layer_properties"], "layer_properties")  # written to a .lyp as UTF-8
        need(extra.get("activate", True) is True, "load: activate %r" % (extra.get("activate"),))
        return {"type": "reload", "file": path, "cell": "TOP", "view": 0, "views": 1, "followed": [],
                "left_alone": [], "load_ms": 0.1, "state": "s1"}

    def apply_partial(self, path, part, p):
        F.read("partial", path, must_exist=False)  # a copy's mirror may not be there yet
        need(os.path.isfile(part) and inside(part, SPOOL), "partial: cells in %r" % (part,))
        need(isinstance(p["base"], str) and p["base"], "partial: base %r" % (p["base"],))
        need(isinstance(p["removed"], list), "partial: removed %r" % (p["removed"],))
        for name in p["removed"]:
            klayout_str(name, "removed cell")
        klayout_int(p["cells"], 0, 1 << 40, "partial: cells")
        need(isinstance(p["dbu"], float) and p["dbu"] > 0 and isinstance(p["force"], bool), "partial: %r" % (p,))
        if p["base"] != "s1":
            return None, "view 0 does not show the layout the changed cells were sent against"
        return {"type": "incremental", "file": path, "cell": "TOP", "view": 0, "views": 1, "followed": [],
                "left_alone": [], "load_ms": 0.1, "state": "s2"}, ""

    def activate(self, path):
        F.call("activate", path)

    def show_rdb(self, path):
        F.read("rdb", path)
        return {"index": 0, "name": "lywatch", "file": path, "generator": "", "items": 0, "categories": []}

    def rdbs(self):
        return {"rdbs": []}

    def status(self, server):
        F.call("status")
        return {"server_version": srv.SERVER_VERSION, "allowed": list(server.guard.roots), "note": self.note}

    def edited_views(self):
        return [0] if F.dirty else []

    def reload_current(self):
        F.read("reload", LAYOUT)
        return LAYOUT


def _layout_cells(ly):
    need(isinstance(ly, Layout), "layout_cells of %r" % (ly,))
    F.call("cells")
    return {"dbu": ly.dbu, "cells": []}


srv.layout_cells = _layout_cells


class Settings(object):
    name = "fuzz"
    max_payload = 1 << 16
    max_layout = 1 << 16
    max_connections = 4
    idle_timeout = 30.0

    def __init__(self, lyipc, klive):
        self.lyipc, self.klive = lyipc, klive


class Sock(object):
    def __init__(self):
        self.out = b""
        self.closed = False

    def write(self, b):
        need(isinstance(b, bytes), "socket write of %r" % (type(b),))
        self.out += b

    def flush(self):
        pass

    def disconnectFromHost(self):
        self.closed = True

    def abort(self):
        self.closed = True

    def deleteLater(self):
        pass


def new_server(flags):
    s = srv.Server.__new__(srv.Server)
    s.settings = Settings(bool(flags & 0x10), bool(flags & 0x20))
    s.port, s.bind, s.listening, s.error = 11078, "127.0.0.1", True, ""
    s.viewer, s.conns, s.tcp, s.sweeper, s.discovery = Viewer(), {}, None, None, ""
    s.started, s.instance, s.user_settings = time.time(), "fuzz", None
    s.own_dir, s.spool_dir = OWN, SPOOL
    s.guard = srv.Guard(TOKEN, [ROOT], IMAGES)
    return s


def read_line(line):
    """This side's own reading of a request line: its kind, whether it
    carries the token, the id a reply must carry, and the request."""
    if not line.strip():
        return "blank", False, None, None
    if line.lstrip()[:1] != b"{":
        return "text", False, None, None
    try:
        req = json.loads(line.strip().decode("utf-8"))
    except Exception:
        return "malformed", False, None, None
    if not isinstance(req, dict):
        return "malformed", False, None, None
    rid = req.get("id")
    if isinstance(rid, bool) or not isinstance(rid, (int, str)):
        rid = None
    if "cmd" not in req and "gds" in req:
        return "klive", False, rid, req
    tok = req.get("token")
    return "json", isinstance(tok, str) and tok == TOKEN, rid, req


def optional(req, name, ok):
    return name not in req or ok(req[name])


def is_bool(v):
    return isinstance(v, bool)


def is_str(v):
    return isinstance(v, str)


# The fields a served request must have had, by command, besides those
# load_args and the stand-in KLayout check: a field of another type must be
# refused, not read as something else.
SERVED_FIELDS = {
    "set_layer_visible": lambda r: is_str(r.get("layer")) and optional(r, "visible", is_bool),
    "set_layer_color": lambda r: is_str(r.get("layer")) and is_str(r.get("color")),
    "cell": lambda r: is_str(r.get("name")),
    "quit": lambda r: optional(r, "force", is_bool),
    "rdb": lambda r: optional(r, "path", lambda v: v is None or is_str(v)),
    "note": lambda r: is_str(r.get("text")),
}


def serve(flags, line, body):
    global F
    F = Frame(bool(flags & 0x08))
    kind, token_ok, rid, req = read_line(line)
    if kind == "json" and token_ok:
        root = req.get("root")
        try:
            if isinstance(root, str) and os.path.isabs(root) and os.path.realpath(root) != os.sep:
                F.read_roots.append(os.path.realpath(root))
        except (ValueError, UnicodeError):
            pass
    write_roots = [ROOT, IMAGES, OWN] + F.read_roots[2:]
    before = snapshot()
    s = new_server(flags)
    sock = Sock()
    conn = srv.Connection(s, sock, "fuzz:1", not flags & 0x40)
    s.conns[id(sock)] = conn
    conn.feed(line + b"\n")
    if conn.payload_left > 0 and not conn.closing:
        conn.feed(body[:conn.payload_left])
    pending = conn.payload_left > 0
    s.drop(id(sock))  # the client goes

    sep = b"\r\n" if conn.mode == "text" else b"\n"
    replies = [r.decode("utf-8", "replace") for r in sock.out.split(sep)[:-1]]
    ok = False
    if kind == "json" and len(replies) == 1:
        try:
            ok = json.loads(replies[0]).get("ok") is True
        except Exception:
            pass
    if ok and token_ok:
        check = SERVED_FIELDS.get(req.get("cmd"))
        if check is not None and not check(req):
            F.violations.append("%s served with a field of the wrong type" % req.get("cmd"))
        if req.get("cmd") == "quit" and F.dirty and req.get("force") is not True:
            F.violations.append("quit with unsaved edits on force=%r" % (req.get("force"),))

    after = snapshot()
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    for p in changed:
        if not any(inside(p, r) for r in write_roots) and not inside(p, TMP):
            F.violations.append("%s %s, outside the allowed folders" % (
                "removed" if p not in after else "wrote", p))
    for p in after:
        name = os.path.basename(p)
        if inside(p, TMP) or (inside(p, SPOOL) and name.startswith(("payload-", "partial-", ".in-"))) \
                or name.startswith(".lywatch-"):
            F.violations.append("%s left behind" % p)
    if changed:
        build_sandbox()
    return {"replies": replies, "kind": kind, "token_ok": token_ok, "id": rid, "pending": pending,
            "closed": sock.closed, "calls": F.calls, "violations": F.violations}


def read_exact(n):
    data = b""
    while len(data) < n:
        chunk = sys.stdin.buffer.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_chunk():
    head = read_exact(4)
    if head is None:
        return None
    return read_exact(struct.unpack(">I", head)[0])


def send(data):
    FRAMES.write(struct.pack(">I", len(data)) + data)
    FRAMES.flush()


def main():
    pyastub.App.window = None
    build_sandbox()
    send(json.dumps({"base": BASE, "root": ROOT, "outside": OUTSIDE, "images": IMAGES,
                     "token": TOKEN}).encode())
    pyastub.App.window = Window()
    while True:
        flags = read_exact(1)
        line = read_chunk() if flags else None
        body = read_chunk() if line is not None else None
        if body is None:
            return
        try:
            pyastub.App.window = Window()
            out = json.dumps(serve(flags[0], line, body)).encode()
        except Violation:
            out = b"VIOLATION " + traceback.format_exc().encode("utf-8", "replace")
            build_sandbox()
        except BaseException:
            out = b"CRASH " + traceback.format_exc().encode("utf-8", "replace")
            build_sandbox()
        send(out)


main()
