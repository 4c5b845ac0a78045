# lywatch server: runs inside KLayout's GUI and lets lywatch (and, when
# switched on, lyipc or klive clients) load layouts into the running window,
# keeping the view.
#
# Start it with `lywatch klayout start` (or `klayout -e -rm
# lywatch_server.py`), or install it as an autorun macro with `lywatch klayout
# install`. It listens on 127.0.0.1:11078 and speaks:
#
#   * lywatch's protocol: one JSON request per line, {"id": .., "cmd": ..,
#     "token": .., "root": ..}, one JSON reply per line, {"id": .., "ok":
#     true, "result": {..}} or {"id": .., "ok": false, "error": "..", "code":
#     ".."}. Every request carries the user's token (a file only the user can
#     read, <config dir>/lywatch/token); the commands are the COMMANDS table
#     at the end.
#   * when started with lywatch_klive=1: a klive request ({"gds": path,
#     "keep_position": true}) on the same line format, answered klive-style.
#   * when started with lywatch_lyipc=1: lyipc's text commands (first byte
#     not '{'): `load <path> [mode]`, `reload view`, `cellview <name>`,
#     `ping`, answered `ACK ...` / `ERR ...` and the connection closed.
#   lyipc and klive clients cannot send a token: those two are
#   unauthenticated, as the tools themselves are, and confined to the folders
#   authenticated clients allowed.
#
# Settings are -rd defines (lywatch_port=N) or environment variables
# (LYWATCH_PORT=N); see Settings. It uses only API that KLayout 0.28.5, 0.29
# and 0.30 share.

import errno
import hmac
import json
import math
import os
import secrets
import shlex
import sys
import tempfile
import time
import traceback

import pya

SERVER_VERSION = "0.3.1"
PROTOCOL_VERSION = 2
DEFAULT_PORT = 11078
DEFAULT_BIND = "127.0.0.1"
MAX_LINE = 1 << 20  # bytes in one request line
MAX_CONNECTIONS = 16  # open at once; more are refused
IDLE_TIMEOUT = 30.0  # seconds a connection may stay silent
MAX_PAYLOAD = 1 << 30  # bytes of layout (compressed) one request may carry
MAX_LAYOUT = 4 << 30  # bytes of layout once decompressed
MAX_IMAGE_SIDE = 8192  # pixels
MAX_IMAGE_PIXELS = 4096 * 4096
NOTE_SECONDS = 24 * 3600  # the longest a note shows; 0 is until the next push
NOT_ALLOWED = "not found or not allowed"  # one answer for missing, unreadable and outside the allowed folders


class RequestError(Exception):
    """An error reply with a machine-readable code beside the message."""

    def __init__(self, code, msg):
        Exception.__init__(self, msg)
        self.code = code


def _log(msg):
    text = "lywatch server: " + msg
    print(text)
    sys.stdout.flush()


def _warn(msg):
    text = "lywatch server: " + msg
    try:
        pya.Logger.warn(text)
    except Exception:
        print(text)
        sys.stdout.flush()


def _setting(define, env, default):
    """A -rd define (a global of this macro) wins over an env variable."""
    value = globals().get(define)
    if value is None or value == "":
        value = os.environ.get(env, "")
    if value is None or value == "":
        return default
    return value


def _flag(define, env):
    return str(_setting(define, env, "")).strip().lower() in ("1", "true", "yes", "on")


def config_dir():
    """The same directory as Go's os.UserConfigDir()."""
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~"), "Library", "Application Support")
    if sys.platform.startswith("win"):
        return os.environ.get("AppData") or os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    if xdg and os.path.isabs(xdg):
        return xdg
    return os.path.join(os.path.expanduser("~"), ".config")


def token_path():
    return _setting("lywatch_token_file", "LYWATCH_TOKEN_FILE", os.path.join(config_dir(), "lywatch", "token"))


def load_token(path):
    """The user's token: the file's first line, the file created (mode 0600)
    with a fresh random token on first use. A file others can read or that
    another user owns is refused, as lywatch's client refuses it."""
    try:
        os.makedirs(os.path.dirname(path), 0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise
    if hasattr(os, "getuid"):
        st = os.stat(path)
        if st.st_uid != os.getuid():
            raise RuntimeError("token file %s belongs to another user" % path)
        if st.st_mode & 0o077:
            raise RuntimeError("token file %s can be read by other users (mode %o): run chmod 600 %s"
                               % (path, st.st_mode & 0o777, path))
    with open(path) as f:
        token = f.readline().strip()
    if len(token) < 32:
        raise RuntimeError("token file %s holds no token of at least 32 characters" % path)
    return token


def _inside(path, root):
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


def _remove_stale_folders():
    """Removes the folders of servers whose KLayout is gone (killed, so
    it could not remove its own): lywatch-server-PID-* in the temporary
    folder, for a PID no process has."""
    import glob
    import shutil
    for d in glob.glob(os.path.join(tempfile.gettempdir(), "lywatch-server-*-*")):
        try:
            pid = int(os.path.basename(d).split("-")[2])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except Exception:
            pass


def _is_text(v):
    """Whether v is a string KLayout can take (pya passes UTF-8: a lone
    surrogate, JSON's "\\ud800", is none) and a file name can hold (no
    NUL)."""
    if not isinstance(v, str) or "\0" in v:
        return False
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Guard(object):
    """Who may do what: the token check, the folders that paths in requests
    are confined to, and the bounds on sizes."""

    def __init__(self, token, allow, image_dir=None):
        self.token = token
        self.roots = []
        # Where save_image may write besides the allowed folders: the
        # server's own, removed when it stops (made here for a Guard of
        # its own: a test's).
        self.image_dir = image_dir or tempfile.mkdtemp(prefix="lywatch-images-")
        for root in allow:
            self.allow(root)

    def authorized(self, req):
        tok = req.get("token")
        return isinstance(tok, str) and self.token is not None and hmac.compare_digest(
            tok.encode("utf-8", "replace"), self.token.encode("utf-8"))

    def allow(self, root):
        """Adds an authenticated client's project root (an absolute path)."""
        if not _is_text(root) or not os.path.isabs(root):
            return
        real = os.path.realpath(root)
        if real != os.sep and real not in self.roots:
            self.roots.append(real)

    def allowed(self, real, images=False):
        roots = self.roots + ([os.path.realpath(self.image_dir)] if images else [])
        return any(_inside(real, r) for r in roots)

    def readable(self, cmd, path):
        """The real path of a file a request may read, or the one error."""
        if not path or not _is_text(path):
            raise RequestError("not_allowed", "%s: no path given" % cmd)
        path = os.path.abspath(path)
        real = os.path.realpath(path)
        if not (self.allowed(real) and os.path.isfile(real) and os.access(real, os.R_OK)):
            raise RequestError("not_allowed", "%s: %s: %s" % (cmd, path, NOT_ALLOWED))
        return path

    def writable_png(self, cmd, path):
        """The path a request may write a PNG to, or the one error: a .png
        under an allowed folder or the image folder, not a link. A bare file
        name is one in the image folder, never in KLayout's working folder."""
        if not path or not _is_text(path):
            raise RequestError("not_allowed", "%s: no path given" % cmd)
        if not os.path.dirname(path):
            path = os.path.join(self.image_dir, path)
        path = os.path.abspath(path)
        real_dir = os.path.realpath(os.path.dirname(path))
        target = os.path.join(real_dir, os.path.basename(path))
        ok = (target.lower().endswith(".png") and os.path.isdir(real_dir)
              and self.allowed(target, images=True) and not os.path.islink(target)
              and (not os.path.exists(target) or os.path.isfile(target)))
        if not ok:
            raise RequestError("not_allowed", "%s: %s: %s" % (cmd, path, NOT_ALLOWED))
        return target


def zlib_error():
    import zlib
    return zlib.error


def _loopback(host):
    h = host.lower()
    if h.startswith("::ffff:"):
        h = h[7:]
    return h.startswith("127.") or h == "::1" or h == "localhost"


def _short(v):
    """v for an error message, clipped: a request may hold a megabyte."""
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _int_in(cmd, name, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise RequestError("bad_request", "%s: %s must be a whole number from %d to %d, not %s" % (cmd, name, lo, hi, _short(v)))
    return v


def _text(cmd, name, v):
    """A string field KLayout gets: text (UTF-8, no NUL), not empty."""
    if not (v and _is_text(v) and len(v) <= MAX_LINE):
        raise RequestError("bad_request", "%s: %s must be a string, not %s" % (cmd, name, _short(v)))
    return v


def _finite(cmd, name, v):
    try:
        ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
    except OverflowError:  # a whole number too large for a float
        ok = False
    if not ok:
        raise RequestError("bad_request", "%s: %s must be a finite number, not %s" % (cmd, name, _short(v)))
    return float(v)


LOAD_MODES = ("reload", "new", "replace", "add")
PAYLOAD_KINDS = ("full", "partial")


def load_args(req, has_payload):
    """Checks every field of a load request before anything is done, and
    returns them with their defaults: a field of the wrong type or out of
    bounds is a bad_request, so nothing malformed reaches KLayout (a path
    that cannot be read is not_allowed, when it is read). has_payload says
    the layout's bytes came with the request."""
    def bad(msg):
        raise RequestError("bad_request", "load: " + msg)

    def flag(name):
        v = req.get(name)
        if v is None:
            return False
        if not isinstance(v, bool):
            bad("%s must be true or false, not %s" % (name, _short(v)))
        return v

    def text(name):
        v = req.get(name)
        if v is None or v == "":
            return ""
        if not _is_text(v) or len(v) > MAX_LINE:
            bad("%s must be a string, not %s" % (name, _short(v)))
        return v

    a = {"path": req.get("path"), "force": flag("force"), "activate": flag("activate"), "copy": flag("copy"),
         "layer_properties": text("layer_properties"), "lyrdb": text("lyrdb"), "partial": False}
    mode = req.get("mode")
    if mode is None or mode == "":
        mode = "reload"
    if not isinstance(mode, str) or mode not in LOAD_MODES:
        bad("mode must be one of %s, not %s" % (", ".join(LOAD_MODES), _short(mode)))
    a["mode"] = mode
    factories = req.get("factories")
    if factories is None:
        factories = {}
    if not isinstance(factories, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in factories.items()):
        bad("factories must map cell names to factory names (strings)")
    a["factories"] = factories
    if "payload" in req:
        info = req.get("payload")
        if not isinstance(info, dict):
            bad("payload must describe the bytes that follow")
        if not has_payload:
            bad("payload.size must be more than 0: a layout is never empty")
        if info.get("encoding", "gzip") != "gzip":
            bad("payload encoding must be gzip, not %s" % _short(info.get("encoding")))
        sha = info.get("sha256")
        if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
            bad("payload.sha256 must be the layout's SHA-256 (64 hex digits), not %s" % _short(sha))
        kind = info.get("kind", "full")
        if not isinstance(kind, str) or kind not in PAYLOAD_KINDS:
            bad("payload.kind must be full or partial, not %s" % _short(kind))
        if not isinstance(a["path"], str) or not a["path"] or "\0" in a["path"]:
            bad("path must name the layout (the client's path)")
        a["partial"], a["sha256"] = kind == "partial", sha.lower()
    elif a["copy"]:
        bad("copy needs the layout's changed cells (a payload)")
    if a["partial"]:
        removed = req.get("removed")
        if removed is None:
            removed = []
        if not isinstance(removed, list) or not all(_is_text(n) for n in removed):
            bad("removed must be a list of cell names")
        base = req.get("base")
        if not isinstance(base, str) or not base:
            bad("base must be the state the last push answered")
        dbu = _finite("load", "dbu", req.get("dbu"))
        if dbu <= 0:
            bad("dbu must be more than 0, not %s" % _short(dbu))
        a.update(removed=removed, base=base, dbu=dbu, cells=_int_in("load", "cells", req.get("cells"), 0, 1 << 40))
    return a


def cache_dir():
    """The same directory as Go's os.UserCacheDir()."""
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~"), "Library", "Caches")
    if sys.platform.startswith("win"):
        return os.environ.get("LocalAppData") or os.path.expanduser("~")
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return xdg
    return os.path.join(os.path.expanduser("~"), ".cache")


def discovery_path(port):
    return os.path.join(cache_dir(), "lywatch", "klayout-%d.json" % port)


def klayout_version():
    try:
        return pya.Application.instance().version()
    except Exception:
        return "KLayout unknown"


def _main_window():
    mw = pya.Application.instance().main_window()
    if mw is None:
        raise RuntimeError("KLayout has no main window (batch mode?); start it with 'klayout -e'")
    return mw


def _same_file(a, b):
    if not a or not b:
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _layer_name(lp):
    """A layer's name as lywatch reports it: "L/D", or its name if it has none."""
    try:
        if lp.source_layer >= 0 and lp.source_datatype >= 0:
            return "%d/%d" % (lp.source_layer, lp.source_datatype)
    except Exception:
        pass
    try:
        if lp.source_name:
            return lp.source_name
    except Exception:
        pass
    return lp.source(True)


def _dirty(cv):
    try:
        return bool(cv.is_dirty())
    except Exception:
        return False


STATE_KEY = "lywatch_state"  # layout meta info: the push it shows
OURS_KEY = "lywatch_ours"  # "1": its edited flag comes from an incremental push


def _layout_state(ly):
    try:
        return ly.meta_info_value(STATE_KEY) or ""
    except Exception:
        return ""


def _set_layout_state(ly, state, ours):
    """Marks a layout with the push it shows (a random id the client keeps
    to send only changed cells next time) and whether its edited flag is
    ours (an incremental push changes the open layout)."""
    try:
        ly.add_meta_info(pya.LayoutMetaInfo(STATE_KEY, state, "lywatch push"))
        ly.add_meta_info(pya.LayoutMetaInfo(OURS_KEY, "1" if ours else "", "lywatch push"))
    except Exception as exc:
        _warn("layout state: %s" % exc)


def _has_undo():
    """Whether KLayout's undo stack holds an edit (made in any view)."""
    try:
        m = _main_window().manager
        m = m() if callable(m) else m
        return bool(m.has_undo())
    except Exception:
        return True


def _cell_name(cv):
    """The cell a cellview shows, or "" (none, or one just deleted)."""
    try:
        return cv.cell_name if cv is not None and cv.is_valid() else ""
    except Exception:
        return ""


def _forget_own_undo(had):
    """Clears KLayout's undo stack (one for the whole window) after a push,
    when it held nothing before: a push's own steps (loading the layer
    properties, an incremental read) are not edits to undo, and an empty
    stack is how an edit made since is told (Viewer.edited). A stack that
    held a person's edits is left as it was."""
    if had:
        return
    try:
        mw = _main_window()
        if mw.views() > 0:
            mw.view(0).clear_transactions()
    except Exception as exc:
        _warn("undo stack: %s" % exc)


def _dialogs():
    """Titles of the dialogs KLayout shows (a modal one blocks the user)."""
    try:
        return [str(w.windowTitle) for w in pya.QApplication.topLevelWidgets()
                if w.isVisible() and w.inherits("QDialog")]
    except Exception:
        return []


def _each_layer(view):
    """The view's layer entries (leaves of the layer tree), in order."""
    it = view.begin_layers()
    while not it.at_end():
        node = it.current()
        if not node.has_children():
            yield node
        it.next()


DRAW_BUDGET = 4000000  # shapes and cell placements a new view draws at most, summed over levels


def open_depth(cv):
    """The hierarchy levels a newly opened view shows (max_hier_levels: 1 is
    the top cell alone): every level while what is drawn (each cell's shapes
    times its placements, and the placements themselves) stays within
    DRAW_BUDGET, so a deep, large layout opens at the levels KLayout draws
    quickly instead of keeping a core busy for minutes. One pass over the
    cells of each level: cheap next to reading the file."""
    try:
        if not cv.is_valid():
            return 1
        ly = cv.layout()
        top = cv.cell
        layers = list(ly.layer_indexes())
        full = top.hierarchy_levels()
        own = {}

        def shapes(c):
            n = own.get(c.cell_index())
            if n is None:
                n = sum(c.shapes(li).size() for li in layers)
                own[c.cell_index()] = n
            return n

        level = {top.cell_index(): 1}
        drawn = shapes(top)
        for depth in range(1, full + 1):
            nxt = {}
            for ci, mult in level.items():
                for inst in ly.cell(ci).each_inst():
                    n = mult * inst.cell_inst.size()
                    nxt[inst.cell_index] = nxt.get(inst.cell_index, 0) + n
            drawn += sum((shapes(ly.cell(ci)) + 1) * m for ci, m in nxt.items())
            if drawn > DRAW_BUDGET:
                return depth  # levels 0 .. depth-1 shown
            level = nxt
        return full + 1  # every level, as max_hier() would
    except Exception as exc:
        _warn("hierarchy depth: %s" % exc)
        return 1


def layout_cells(ly):
    """A layout's cells as the cells command reports them, sorted by name."""
    import hashlib
    out = []
    infos = {li: "%d/%d" % (ly.get_info(li).layer, ly.get_info(li).datatype) for li in ly.layer_indexes()}
    for cell in ly.each_cell():
        layers, h = {}, hashlib.sha256()
        for li, name in sorted(infos.items(), key=lambda x: x[1]):
            shapes = sorted(str(sh) for sh in cell.shapes(li).each())
            if shapes:
                layers[name] = len(shapes)
                h.update(("%s\n%s\n" % (name, "\n".join(shapes))).encode())
        insts = []
        for i in cell.each_inst():
            ia = i.cell_inst  # by the child's name: cell indexes differ between layouts
            insts.append("%s %s %s %s %d %d" % (ly.cell(i.cell_index).name, ia.cplx_trans, ia.a, ia.b, ia.na, ia.nb))
        insts.sort()
        h.update("\n".join(insts).encode())
        out.append({"name": cell.name, "layers": layers, "instances": len(insts), "ghost": bool(cell.is_ghost_cell()),
                    "children": sorted(ly.cell(k).name for k in cell.each_child_cell()), "digest": h.hexdigest()})
    out.sort(key=lambda c: c["name"])
    return {"dbu": ly.dbu, "cells": out}


def _tokens(name):
    return name.split("_")


def _common_tokens(a, b):
    """How many leading "_"-separated words two cell names share."""
    n = 0
    for x, y in zip(_tokens(a), _tokens(b)):
        if x != y:
            break
        n += 1
    return n


def replacement(old, candidates, factories):
    """The cell among candidates (new cells in the same place) that the
    factory of old made: the same factory by the client's factories map
    (kfactory's function_name, or lywatch's graph), else kfactory's naming
    rule, a factory name and then the parameters joined by "_": the
    candidate sharing the longest prefix of words with old
    (mmi1x2_W0p5_WM2p5 -> mmi1x2_W0p5_WM6). None when no candidate shares a
    factory."""
    candidates = sorted(candidates)
    fac = factories.get(old)
    same = [c for c in candidates if fac and factories.get(c) == fac]
    if same:
        candidates = same
    elif fac:  # a cell another factory made is not a replacement
        candidates = [c for c in candidates if not factories.get(c)]
    best, score = None, (0, 0)
    for c in candidates:
        common = _common_tokens(old, c)
        if common == 0 and not same:
            continue
        sc = (common, -abs(len(_tokens(c)) - len(_tokens(old))))
        if best is None or sc > score:
            best, score = c, sc
    return best


def follow_path(ly, old, old_children, old_tops, factories):
    """The cell path (names, top first) to show after a reload, given the
    path shown before (old), the children each cell on it had and the top
    cells: each cell still in its place is kept; one the reload removed is
    followed to its replacement among the new children of its parent (see
    replacement); with none, the path ends at the parent. Returns the path
    and what was followed: {"from", "to", "kind": "followed" | "parent"}."""
    path, follows = [], []
    tops = [ly.cell(k).name for k in ly.each_top_cell()]
    for i, name in enumerate(old):
        if path:
            parent = ly.cell(ly.cell_by_name(path[-1]))
            here = [ly.cell(k).name for k in parent.each_child_cell()]
            before = old_children[i - 1] if i - 1 < len(old_children) else set()
        else:
            here, before = tops, old_tops
        if name in here:
            path.append(name)
            continue
        pick = replacement(name, [c for c in here if c not in before], factories)
        if pick is None and not path and len(tops) == 1:
            pick = tops[0]  # the only top cell: it replaced the old top
        if pick is None:
            follows.append({"from": name, "to": path[-1] if path else (tops[0] if tops else ""), "kind": "parent"})
            break
        follows.append({"from": name, "to": pick, "kind": "followed"})
        path.append(pick)
    return path, follows


class Viewer(object):
    """Everything the server does to KLayout's window."""

    def __init__(self):
        self.loads = 0
        self.last_load = None
        self.note = ""
        # Paths whose reload failed -> the view state before it. KLayout
        # leaves such a layout half read and marked as edited, which must not
        # stop the next push.
        self.broken = {}

    def find_all(self, path):
        """Every (view_index, cellview_index) showing path."""
        mw = _main_window()
        out = []
        for vi in range(mw.views()):
            view = mw.view(vi)
            for ci in range(view.cellviews()):
                if _same_file(view.cellview(ci).filename(), path):
                    out.append((vi, ci))
        return out

    def load(self, path, mode="reload", force=False, extra=None):
        """Shows the layout at path (absolute, checked by the Guard): every
        view showing it is reloaded, each keeping its own view; a view with
        edits made in KLayout is left alone (force reloads it too); with no
        view of it, a new one opens. The current view changes only when a
        view opens, or when extra["activate"] asks for the file's view.
        extra holds the optional request fields: factories (cell ->
        factory, to follow renamed cells), layer_properties (a .lyp's XML,
        applied when a view opens), activate."""
        if mode not in ("reload", "new", "replace", "add"):
            raise RequestError("bad_request", "load: unknown mode %r (want reload, new, replace or add)" % (mode,))
        extra = extra or {}
        mw = _main_window()
        t0 = time.time()
        where = self.find_all(path) if mode == "reload" else []
        followed, left_alone, reloaded = [], [], 0
        state = secrets.token_hex(8)
        had_undo = _has_undo()
        for vi, ci in where:
            view = mw.view(vi)
            if not force and self.edited(view.cellview(ci), vi, ci):
                left_alone.append({"view": vi, "reason": "unsaved edits in KLayout"})
                continue
            for f in self._reload_keeping_view(view, vi, ci, extra.get("factories") or {}):
                f["view"] = vi
                followed.append(f)
            _set_layout_state(view.cellview(ci).layout(), state, False)
            reloaded += 1
        if where:
            kind = "reload" if reloaded else "none"
            if extra.get("activate"):
                self.activate(path)
        else:
            kind = "open"
            self._open(mw, path, mode, extra.get("layer_properties"))
            view = mw.current_view()
            if view is not None and view.active_cellview().is_valid():
                _set_layout_state(view.active_cellview().layout(), state, False)
        _forget_own_undo(had_undo)
        if kind != "none":
            self.loads += 1
            self.clear_note()
        ms = (time.time() - t0) * 1000.0
        view = mw.current_view()
        cv = view.active_cellview() if view is not None else None
        self.last_load = {"file": path, "type": kind, "mode": mode, "load_ms": round(ms, 3), "time": time.time()}
        return {
            "type": kind,
            "file": path,
            "cell": _cell_name(cv),
            "view": mw.current_view_index,
            "views": reloaded if where else 1,
            "followed": followed,
            "left_alone": left_alone,
            "load_ms": round(ms, 3),
            "state": state if kind != "none" else "",
        }

    def activate(self, path):
        """Makes the first view of path the current one."""
        mw = _main_window()
        where = self.find_all(path)
        if where and mw.current_view_index != where[0][0]:
            mw.select_view(where[0][0])

    def apply_partial(self, path, part, p):
        """Reads a layout holding only the new and changed cells (part) into
        every open view of path whose layout is the one the client sent
        them against (p["base"]), with OverwriteCell, deletes p["removed"]
        and adds the new layers. Returns the result, or None and why not
        when a view's layout is another (another writer, a restart), the
        database unit differs, or the cell count after does not match
        p["cells"]: then the whole layout must be loaded."""
        mw = _main_window()
        t0 = time.time()
        where = self.find_all(path)
        if not where:
            return None, "no view shows %s" % path
        targets, left_alone = [], []
        for vi, ci in where:
            cv = mw.view(vi).cellview(ci)
            if not p["force"] and self.edited(cv, vi, ci):
                left_alone.append({"view": vi, "reason": "unsaved edits in KLayout"})
                continue
            ly = cv.layout()
            if _layout_state(ly) != p["base"]:
                return None, "view %d does not show the layout the changed cells were sent against" % vi
            if abs(ly.dbu - p["dbu"] * 1e6) > 1e-9 * ly.dbu:
                return None, "the database unit changed"
            targets.append((vi, ci))
        state = secrets.token_hex(8)
        followed = []
        had_undo = _has_undo()
        opts = pya.LoadLayoutOptions()
        opts.cell_conflict_resolution = pya.LoadLayoutOptions.OverwriteCell
        for vi, ci in targets:
            view = mw.view(vi)
            cv = view.cellview(ci)
            ly = cv.layout()
            before = self._path_state(cv)
            ly.read(part, opts)
            for name in p["removed"]:
                if ly.has_cell(name):
                    ly.delete_cell(ly.cell_by_name(name))
            # cells() counts freed slots too: count the cells, and ghosts
            # (a reference to a cell the layout did not have).
            count, ghosts = 0, 0
            for c in ly.each_cell():
                count += 1
                ghosts += 1 if c.is_ghost_cell() else 0
            if count != p["cells"] or ghosts:
                _set_layout_state(ly, "", False)
                return None, "view %d has %d cells after the update (%d never defined), the layout %d" % (vi, count, ghosts, p["cells"])
            view.add_missing_layers()
            follows = self._restore_path(view, ci, before, p["factories"])
            if any(f["kind"] == "parent" for f in follows):
                view.zoom_fit()
            for f in follows:
                f["view"] = vi
                followed.append(f)
            _set_layout_state(ly, state, True)
        _forget_own_undo(had_undo)
        kind = "incremental" if targets else "none"
        ms = (time.time() - t0) * 1000.0
        if targets:
            self.loads += 1
            self.clear_note()
        self.last_load = {"file": path, "type": kind, "mode": "reload", "load_ms": round(ms, 3), "time": time.time()}
        view = mw.current_view()
        cv = view.active_cellview() if view is not None else None
        return {
            "type": kind, "file": path,
            "cell": _cell_name(cv),
            "view": mw.current_view_index, "views": len(targets),
            "followed": followed, "left_alone": left_alone,
            "load_ms": round(ms, 3), "state": state if targets else p["base"],
        }, ""

    def _open(self, mw, path, mode, lyp_xml):
        lmode = {"reload": 1, "new": 1, "replace": 0, "add": 2}[mode]
        if mw.current_view() is None:
            lmode = 1
        mw.load_layout(path, lmode)
        view = mw.current_view()
        if view is None:
            return
        if lyp_xml:
            self.apply_layer_properties(view, lyp_xml)
        view.max_hier_levels = open_depth(view.active_cellview())
        view.zoom_fit()

    @staticmethod
    def apply_layer_properties(view, xml):
        """Applies a .lyp (its XML text) to the view, then adds the layers
        it does not name."""
        if not isinstance(xml, str) or len(xml) > MAX_LINE:
            raise RequestError("bad_request", "load: layer_properties must be a .lyp file's text")
        fd, tmp = tempfile.mkstemp(prefix="lywatch-", suffix=".lyp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(xml)
            view.load_layer_props(tmp)
        finally:
            os.remove(tmp)
        view.add_missing_layers()

    def _reload_keeping_view(self, view, vi, ci, factories):
        """Reload cellview ci of view, keeping the view box, layer
        properties, cell path and hierarchy levels; a cell on the shown path
        that the reload removed is followed to the cell that replaced it
        (see follow_path). Returns what was followed. When a reload fails
        KLayout leaves the layout half read; the view as it was before is
        then kept for the next reload of the same file."""
        cv = view.cellview(ci)
        key = (os.path.abspath(cv.filename()), vi, ci)
        state = self.broken.get(key)
        if state is None:
            state = self._view_state(view, cv)
        try:
            view.reload_layout(ci)
        except Exception:
            self.broken[key] = state
            raise
        self.broken.pop(key, None)
        try:
            view.load_layer_props(state["props"])
        finally:
            try:
                os.remove(state["props"])
            except OSError:
                pass
        view.add_missing_layers()
        follows = self._restore_path(view, ci, state, factories)
        view.min_hier_levels, view.max_hier_levels = state["hier"]
        if any(f["kind"] == "parent" for f in follows):
            view.zoom_fit()
        else:
            view.zoom_box(state["box"])
        return follows

    @staticmethod
    def _view_state(view, cv):
        """What a reload must keep of a view: its box, layer properties
        (saved to a file), hierarchy levels, the shown cell path by name and
        the children each cell on it had."""
        fd, props = tempfile.mkstemp(prefix="lywatch-", suffix=".lyp")
        os.close(fd)
        view.save_layer_props(props)
        state = Viewer._path_state(cv)
        state.update({"box": view.box(), "hier": (view.min_hier_levels, view.max_hier_levels), "props": props})
        return state

    @staticmethod
    def _path_state(cv):
        """The shown cell path by name, the children each cell on it has and
        the top cells: what following a removed cell needs."""
        names, children, tops = [], [], set()
        if cv.is_valid():
            ly = cv.layout()
            names = [ly.cell(ci).name for ci in cv.path] or [_cell_name(cv)]
            for n in names:
                c = ly.cell(ly.cell_by_name(n)) if ly.has_cell(n) else None
                children.append(set(ly.cell(k).name for k in c.each_child_cell()) if c is not None else set())
            tops = set(ly.cell(k).name for k in ly.each_top_cell())
        return {"path": names, "children": children, "tops": tops}

    @staticmethod
    def _restore_path(view, ci, state, factories):
        cv = view.cellview(ci)
        if not cv.is_valid():
            return []
        ly = cv.layout()
        path, follows = follow_path(ly, state["path"], state["children"], state["tops"], factories)
        if not path:
            return follows
        try:
            cur = [ly.cell(k).name for k in cv.path]
        except Exception:
            cur = None  # the path held a cell the update deleted
        if cur != path:
            cv.path = [ly.cell_by_name(n) for n in path]
        return follows

    def show_note(self, text, seconds):
        """Shows a one-line note in KLayout's status bar (a failed build,
        say) until the next push, or for seconds. Text KLayout cannot take
        (a NUL, a lone surrogate: a build's output may hold anything) is
        replaced."""
        text = str(text).replace("\0", " ").encode("utf-8", "replace").decode("utf-8")
        text = " ".join(text.split())[:300]
        self.note = text
        try:
            _main_window().message(("lywatch: " + text) if text else "", int(seconds * 1000) if seconds else 24 * 3600 * 1000)
        except Exception as exc:
            _warn("note: %s" % exc)
        return {"note": text}

    def clear_note(self):
        if self.note:
            self.note = ""
            try:
                _main_window().message("", 1)
            except Exception:
                pass

    def edited_views(self):
        """Indexes of the views whose layouts hold edits made in KLayout."""
        mw = _main_window()
        out = []
        for vi in range(mw.views()):
            view = mw.view(vi)
            if any(self.edited(view.cellview(ci), vi, ci) for ci in range(view.cellviews())):
                out.append(vi)
        return out

    def edited(self, cv, vi=None, ci=None):
        """Whether cv holds edits made in KLayout: not a failed reload, nor
        an incremental push (after which the undo stack was cleared, so an
        edit since shows in it)."""
        if vi is not None and (os.path.abspath(cv.filename()), vi, ci) in self.broken:
            return False
        if not _dirty(cv):
            return False
        try:
            ours = cv.is_valid() and cv.layout().meta_info_value(OURS_KEY) == "1"
        except Exception:
            ours = False
        return not (ours and not _has_undo())

    def reload_current(self):
        mw = _main_window()
        view = mw.current_view()
        if view is None:
            raise RuntimeError("no view open")
        ci = view.active_cellview_index()
        if ci < 0:
            raise RuntimeError("no layout in the current view")
        if self.edited(view.cellview(ci), mw.current_view_index, ci):
            raise RuntimeError("the current layout has unsaved edits in KLayout: save or discard them first")
        self._reload_keeping_view(view, mw.current_view_index, ci, {})
        self.loads += 1
        return view.cellview(ci).filename()

    def view(self):
        view = _main_window().current_view()
        if view is None:
            raise RuntimeError("no view open")
        return view

    def show_rdb(self, path):
        """Loads the report database at path (absolute, checked by the
        Guard) into the current view and shows it in the marker browser,
        replacing the one lywatch showed there before (the same file, or
        one lywatch wrote): one per view, never piled up."""
        view = self.view()
        rdb = pya.ReportDatabase("lywatch")
        rdb.load(path)
        index = None
        for i in range(view.num_rdbs()):
            old = view.rdb(i)
            if _same_file(old.filename(), path) or (old.generator or "").startswith("lywatch"):
                index = i
                break
        if index is None:
            index = view.add_rdb(rdb)
        else:
            view.replace_rdb(index, rdb)
        ci = view.active_cellview_index()
        view.show_rdb(index, ci if ci >= 0 else 0)
        return self._rdb_info(view, index)

    @staticmethod
    def _rdb_info(view, index):
        rdb = view.rdb(index)
        cats = [{"name": c.name(), "items": c.num_items()} for c in rdb.each_category()]
        return {"index": index, "name": rdb.name(), "file": rdb.filename(),
                "generator": rdb.generator, "items": rdb.num_items(), "categories": cats}

    def rdbs(self):
        """The report databases of the current view (none without one)."""
        view = _main_window().current_view()
        if view is None:
            return {"rdbs": []}
        return {"rdbs": [self._rdb_info(view, i) for i in range(view.num_rdbs())]}

    def zoom(self, box):
        view = self.view()
        view.zoom_box(pya.DBox(float(box[0]), float(box[1]), float(box[2]), float(box[3])))
        return {"box": self._box(view)}

    def _set_layers(self, cmd, layer, apply):
        """Calls apply on every entry of the current view named layer ("L/D"
        or its name) and says how many there were."""
        n = 0
        for node in _each_layer(self.view()):
            if _layer_name(node) == layer or node.name == layer:
                apply(node)
                n += 1
        if n == 0:
            raise ValueError("%s: no layer %r in the current view" % (cmd, layer))
        return {"layers": n}

    def set_layer_visible(self, layer, visible):
        def show(node):
            node.visible = bool(visible)
        return self._set_layers("set_layer_visible", layer, show)

    def set_layer_color(self, layer, color):
        try:
            rgb = int(str(color).lstrip("#"), 16)
        except ValueError:
            raise ValueError("set_layer_color: color must be #rrggbb, not %r" % (color,))

        def paint(node):
            node.fill_color = rgb
            node.frame_color = rgb
        return self._set_layers("set_layer_color", layer, paint)

    def set_cell(self, name):
        view = self.view()
        cv = view.active_cellview()
        if not cv.is_valid() or not cv.layout().has_cell(name):
            raise ValueError("no cell %r in the current layout" % name)
        cv.cell_name = name
        return {"cell": name}

    def save_image(self, path, width, height):
        """Saves the current view as a PNG at path (checked by the Guard),
        through a new file beside it so a link put there meanwhile is
        replaced, never followed."""
        view = self.view()
        fd, tmp = tempfile.mkstemp(prefix=".lywatch-", suffix=".png", dir=os.path.dirname(path))
        os.close(fd)
        try:
            view.save_image(tmp, width, height)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return {"path": path}

    def _view_summary(self, view, vi):
        cv = view.active_cellview()
        ok = cv is not None and cv.is_valid()
        ly = cv.layout() if ok else None
        return {
            "view": vi,
            "file": os.path.abspath(cv.filename()) if ok and cv.filename() else "",
            "cell": _cell_name(cv),
            "path": [ly.cell(k).name for k in cv.path] if ok else [],
            "dirty": bool(ok and self.edited(cv, vi, view.active_cellview_index())),
            "box": self._box(view),
            "min_hier": view.min_hier_levels,
            "max_hier": view.max_hier_levels,
            "layers": [_layer_name(n) for n in _each_layer(view)],
            "layer_names": [n.name for n in _each_layer(view)],
        }

    @staticmethod
    def _box(view):
        b = view.box()
        return [b.left, b.bottom, b.right, b.top]

    def status(self, server):
        mw = _main_window()
        st = {
            "server_version": SERVER_VERSION,
            "protocol": PROTOCOL_VERSION,
            "klayout_version": klayout_version(),
            "pid": os.getpid(),
            "port": server.port,
            "name": server.settings.name,
            "instance": server.instance,
            "listening": server.listening,
            "views": mw.views(),
            "current_view": mw.current_view_index,
            "loads": self.loads,
            "file_watcher": str(mw.get_config("layout-file-watcher-enabled")).lower() == "true",
            "lyipc": server.settings.lyipc,
            "klive": server.settings.klive,
            "allowed": list(server.guard.roots),
            "image_dir": server.guard.image_dir,
            "note": self.note,
            "dialogs": _dialogs(),
            "last_load": self.last_load,
            # Every key is always there (ipc.StatusKeys): the view's below
            # keep these values when no view is open.
            "file": "", "cell": "", "dirty": False, "dbu": 0.0, "top_cells": [], "cellviews": 0,
            "box": [], "min_hier": 0, "max_hier": 0, "visible_layers": [], "hidden_layers": [], "layers": [],
            "all_views": [],
        }
        st["all_views"] = [self._view_summary(mw.view(vi), vi) for vi in range(mw.views())]
        view = mw.current_view()
        if view is None:
            return st
        cv = view.active_cellview()
        if cv is not None and cv.is_valid():
            st["file"] = os.path.abspath(cv.filename()) if cv.filename() else ""
            st["cell"] = _cell_name(cv)
            st["dbu"] = cv.layout().dbu
            st["dirty"] = _dirty(cv)
            ly = cv.layout()
            st["top_cells"] = [ly.cell(ci).name for ci in ly.each_top_cell()]
        st["cellviews"] = view.cellviews()
        st["box"] = self._box(view)
        st["min_hier"] = view.min_hier_levels
        st["max_hier"] = view.max_hier_levels
        visible, hidden, seen, layers = [], [], set(), []
        for node in _each_layer(view):
            name = _layer_name(node)
            layers.append({
                "layer": name,
                "name": node.name,
                "visible": bool(node.visible),
                "fill": "#%06x" % (node.eff_fill_color(True) & 0xffffff),
                "frame": "#%06x" % (node.eff_frame_color(True) & 0xffffff),
            })
            if name in seen:
                continue
            seen.add(name)
            (visible if node.visible else hidden).append(name)
        st["layers"] = layers
        st["visible_layers"] = visible
        st["hidden_layers"] = hidden
        return st


class Connection(object):
    """One client: buffers bytes across readyRead signals and answers lines.
    A connection that stays silent for IDLE_TIMEOUT is closed."""

    def __init__(self, server, sock, peer="", loopback=True):
        self.server = server
        self.sock = sock
        self.peer = peer
        self.loopback = loopback  # the client is on this machine
        self.chunks = []  # the line so far, in pieces (no quadratic joins)
        self.size = 0
        self.mode = None  # "json" or "text", fixed by the first byte
        self.discarding = False
        self.closing = False
        self.last = time.time()
        # A request's payload: bytes still to come, where they go (None:
        # dropped), and the request they belong to.
        self.payload_left = 0
        self.payload_file = None
        self.payload_req = None

    def on_ready_read(self):
        try:
            data = self.sock.readAll()
            if not isinstance(data, (bytes, bytearray)):
                data = bytes(data)  # QByteArray in some builds
            self.last = time.time()
            self.feed(bytes(data))
        except Exception:
            _warn("connection error: " + traceback.format_exc())

    def feed(self, data):
        while data and not self.closing:
            if self.payload_left > 0:
                take = data[:self.payload_left]
                data = data[len(take):]
                self.payload_left -= len(take)
                if self.payload_file is not None:
                    self.payload_file.write(take)
                if self.payload_left == 0:
                    self.payload_done()
                continue
            if self.mode is None:
                stripped = data.lstrip()
                if not stripped:
                    return
                self.mode = "json" if stripped[:1] == b"{" else "text"
            nl = data.find(b"\n")
            if self.discarding:
                if nl < 0:
                    return
                self.discarding = False
                data = data[nl + 1:]
                continue
            if nl < 0:
                if self.size + len(data) > MAX_LINE:
                    self.chunks, self.size = [], 0
                    self.discarding = True
                    self.too_long()
                else:
                    self.chunks.append(data)
                    self.size += len(data)
                return
            line = b"".join(self.chunks) + data[:nl]
            self.chunks, self.size = [], 0
            data = data[nl + 1:]
            if len(line) > MAX_LINE:
                self.too_long()
                continue
            self.handle(line)

    def too_long(self):
        msg = "request longer than %d bytes, discarded up to the next newline" % MAX_LINE
        if self.mode == "text":
            self.send_text("ERR " + msg)
        else:
            self.send_json({"id": None, "ok": False, "error": msg, "code": "too_large"})

    def handle(self, line):
        line = line.strip()
        if not line:
            return
        if self.mode == "text":
            self.handle_text(line)
        else:
            self.handle_json(line)

    def handle_json(self, line):
        try:
            req = json.loads(line.decode("utf-8"))
        except Exception as exc:
            self.send_json({"id": None, "ok": False, "error": "malformed request: %s" % exc, "code": "bad_request"})
            return
        if not isinstance(req, dict):
            self.send_json({"id": None, "ok": False, "error": "malformed request: not a JSON object", "code": "bad_request"})
            return
        rid = req.get("id")
        if not isinstance(rid, (int, str)) or isinstance(rid, bool):
            rid = None
        if "cmd" not in req and "gds" in req:
            self.handle_klive(req)
            return
        size = 0
        if "payload" in req:
            info = req.get("payload")
            size = info.get("size") if isinstance(info, dict) else None
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                # The bytes that follow cannot be told from the next request.
                self.send_json({"id": rid, "ok": False, "code": "bad_request",
                                "error": "malformed request: payload.size must be a whole number of bytes"})
                self.close()
                return
        guard = self.server.guard
        if not guard.authorized(req):
            _warn("refused a %r request from %s: %s token" % (
                str(req.get("cmd"))[:40], self.peer, "no" if "token" not in req else "wrong"))
            self.send_json({"id": rid, "ok": False, "code": "unauthorized", "error":
                            "unauthorized: missing or wrong token (lywatch sends the one in %s; "
                            "print it with 'lywatch klayout token')" % token_path()})
            self.payload_left = size  # dropped
            return
        guard.allow(req.get("root"))
        if size > self.server.settings.max_payload:
            self.send_json({"id": rid, "ok": False, "code": "too_large", "error":
                            "payload of %d bytes is over this server's limit of %d (LYWATCH_MAX_PAYLOAD)"
                            % (size, self.server.settings.max_payload)})
            self.payload_left = size  # dropped
            return
        if size > 0:
            fd, path = tempfile.mkstemp(prefix="payload-", dir=self.server.spool_dir)
            self.payload_file = os.fdopen(fd, "wb")
            self.payload_req = (rid, req, path)
            self.payload_left = size
            return
        self.run(rid, req, None)

    def payload_done(self):
        if self.payload_file is None:
            return
        self.payload_file.close()
        rid, req, path = self.payload_req
        self.payload_file, self.payload_req = None, None
        try:
            self.run(rid, req, path)
        finally:
            if os.path.exists(path):
                os.remove(path)

    def run(self, rid, req, payload):
        try:
            result = self.server.dispatch(req, payload)
            self.send_json({"id": rid, "ok": True, "result": result})
        except RequestError as exc:
            self.send_json({"id": rid, "ok": False, "error": str(exc), "code": exc.code})
        except Exception as exc:
            self.send_json({"id": rid, "ok": False, "error": "%s: %s" % (type(exc).__name__, exc)})

    def handle_klive(self, req):
        try:
            if not self.server.settings.klive:
                raise RuntimeError("klive compatibility is off in this lywatch server "
                                   "(start KLayout with 'lywatch klayout start --klive'; klive is unauthenticated)")
            if not self.loopback:
                _warn("refused a klive request from %s: not this machine" % self.peer)
                raise RuntimeError("klive requests are answered from this machine only; use lywatch's protocol and token")
            path = self.server.guard.readable("load", req.get("gds"))
            res = self.server.viewer.load(path, "reload" if req.get("keep_position", True) else "new")
            if req.get("lyrdb"):
                self.server.viewer.show_rdb(self.server.guard.readable("load", req.get("lyrdb")))
            self.send_json({
                "version": SERVER_VERSION,
                "klayout_version": klayout_version().replace("KLayout ", ""),
                "type": res["type"],
                "file": res["file"],
            })
        except Exception as exc:
            self.send_json({"version": SERVER_VERSION, "error": "%s" % exc})

    def handle_text(self, line):
        try:
            if not self.server.settings.lyipc:
                raise RuntimeError("lyipc compatibility is off in this lywatch server "
                                   "(start KLayout with 'lywatch klayout start --lyipc'; lyipc is unauthenticated)")
            if not self.loopback:
                _warn("refused a lyipc command from %s: not this machine" % self.peer)
                raise RuntimeError("lyipc commands are answered from this machine only; use lywatch's protocol and token")
            reply = "ACK " + self.server.text_command(line.decode("utf-8", "replace"))
        except Exception as exc:
            reply = "ERR %s: %s" % (type(exc).__name__, exc)
        self.send_text(reply)
        self.close()

    def discard(self):
        """Forgets the payload still coming when the client goes (its file
        is closed and removed: a client that stops half-way through a
        layout leaves nothing in the spool)."""
        f, req = self.payload_file, self.payload_req
        self.payload_file, self.payload_req, self.payload_left = None, None, 0
        if f is not None:
            try:
                f.close()
                os.remove(req[2])
            except OSError:
                pass

    def close(self):
        self.closing = True
        try:
            self.sock.disconnectFromHost()
        except Exception:
            pass

    def send_json(self, obj):
        self.write((json.dumps(obj) + "\n").encode("utf-8"))

    def send_text(self, text):
        """Sends one lyipc line: a CR or other line break in it (the
        request's, echoed) would end it early."""
        self.write((" ".join(text.splitlines()) + "\r\n").encode("utf-8", "replace"))

    def write(self, data):
        self.last = time.time()
        try:
            self.sock.write(data)
        except TypeError:
            self.sock.write(pya.QByteArray(data))
        self.sock.flush()


# The tips KLayout may show when it starts (MainWindow::about_to_exec, one
# at most, each unless its key is in tip-window-hidden): the full hierarchy
# off (KLayout's default), viewer mode, no stipple, markers off, empty
# layers hidden. A KLayout lywatch started hides them while it runs.
START_TIPS = ("only-top-level-shown-by-default", "editor-mode", "no-stipple", "show-markers", "hide-empty-layers")
TIPS_KEY = "tip-window-hidden"
WATCHER_KEY = "layout-file-watcher-enabled"


def _entries(value):
    """The entries of a tip-window-hidden value: "key=answer,key2"."""
    return [e for e in str(value or "").split(",") if e.strip()]


class UserSettings(object):
    """The KLayout settings the server changes while it runs, each put back
    when it stops: KLayout saves its settings when it quits, so the user's
    klayoutrc stays as it was. A setting the user changed in the meantime
    is kept as the user left it."""

    def __init__(self, config):
        self.config = config  # get_config and set_config: the main window's
        self.changed = []  # (key, the user's value, ours, how to restore)

    def get(self, key):
        v = self.config.get_config(key)
        return "" if v is None else str(v)

    def set(self, key, value, restore=None):
        """Sets key to value; restore(now) gives the value to put back when
        the setting is not ours any more (default: leave the user's)."""
        user = self.get(key)
        if user == value:
            return
        self.config.set_config(key, value)
        self.changed.append((key, user, value, restore))

    def hide_start_tips(self):
        """Hides KLayout's start-up tips, with no answer given (a tip with an
        answer would act on it: the full hierarchy turned on)."""
        user = self.get(TIPS_KEY)
        shown = {e.split("=", 1)[0].strip() for e in _entries(user)}
        added = [k for k in START_TIPS if k not in shown]
        if not added:
            return

        def restore(now):
            # A tip the user hid meanwhile stays hidden; ours go.
            return ",".join(e for e in _entries(now) if e.strip() not in added)

        self.set(TIPS_KEY, ",".join(_entries(user) + added), restore)

    def restore(self):
        """Puts back the user's values (once; later calls do nothing)."""
        changed, self.changed = self.changed, []
        for key, user, ours, restore in reversed(changed):
            try:
                now = self.get(key)
                if now == ours:
                    self.config.set_config(key, user)
                elif restore is not None:
                    self.config.set_config(key, restore(now))
            except Exception as exc:
                _warn("could not put back your KLayout setting %s: %s" % (key, exc))


class Settings(object):
    """The server's settings: -rd defines (globals of this macro) win over
    environment variables, which win over the defaults."""

    def __init__(self):
        self.port = int(_setting("lywatch_port", "LYWATCH_PORT", DEFAULT_PORT))
        self.bind = _setting("lywatch_listen", "LYWATCH_LISTEN", _setting("lywatch_bind", "LYWATCH_BIND", DEFAULT_BIND))
        self.lyipc = _flag("lywatch_lyipc", "LYWATCH_LYIPC")
        self.klive = _flag("lywatch_klive", "LYWATCH_KLIVE")
        allow = _setting("lywatch_allow", "LYWATCH_ALLOW", "")
        self.allow = [a for a in str(allow).split(os.pathsep) if a]
        self.name = str(_setting("lywatch_name", "LYWATCH_NAME", ""))
        self.port_auto = _flag("lywatch_port_auto", "LYWATCH_PORT_AUTO")
        self.launched = _flag("lywatch_launched", "LYWATCH_LAUNCHED")
        self.max_payload = int(_setting("lywatch_max_payload", "LYWATCH_MAX_PAYLOAD", MAX_PAYLOAD))
        self.max_layout = int(_setting("lywatch_max_layout", "LYWATCH_MAX_LAYOUT", MAX_LAYOUT))
        self.max_connections = int(_setting("lywatch_max_connections", "LYWATCH_MAX_CONNECTIONS", MAX_CONNECTIONS))
        self.idle_timeout = float(_setting("lywatch_idle_timeout", "LYWATCH_IDLE_TIMEOUT", IDLE_TIMEOUT))


class Server(object):
    """The QTcpServer, its connections and the discovery file."""

    def __init__(self):
        self.settings = Settings()
        self.port = self.settings.port
        self.bind = self.settings.bind
        self.viewer = Viewer()
        self.conns = {}
        self.listening = False
        self.error = ""
        self.tcp = None
        self.sweeper = None
        self.discovery = ""
        self.started = time.time()
        self.instance = secrets.token_hex(8)  # tells a restarted KLayout from the one before
        # One folder of the server's own: payloads and the layouts they
        # carried, and the images save_image writes; removed when KLayout
        # quits, and by the next server when KLayout was killed.
        _remove_stale_folders()
        self.own_dir = tempfile.mkdtemp(prefix="lywatch-server-%d-" % os.getpid())
        self.spool_dir = os.path.join(self.own_dir, "spool")
        os.mkdir(self.spool_dir, 0o700)
        images = os.path.join(self.own_dir, "images")
        os.mkdir(images, 0o700)
        self.guard = Guard(None, self.settings.allow, images)
        self.user_settings = None

    def start(self):
        self.user_settings = UserSettings(_main_window())
        if self.settings.launched:
            try:
                self.user_settings.hide_start_tips()
            except Exception as exc:
                _warn("could not hide KLayout's start-up tips: %s" % exc)
        try:
            self.user_settings.set(WATCHER_KEY, "false")
        except Exception as exc:
            _warn("could not turn off the file-changed prompt: %s" % exc)
        try:
            self.guard.token = load_token(token_path())
        except Exception as exc:
            self.error = "not started: %s" % exc
            _warn(self.error)
            self.write_discovery()
            return
        self.tcp = pya.QTcpServer()
        self.tcp.newConnection(self.on_new_connection)
        listening = self.tcp.listen(pya.QHostAddress(self.bind), self.port)
        if not listening and self.settings.port_auto:
            _log("port %d is taken; taking a free one" % self.port)
            listening = self.tcp.listen(pya.QHostAddress(self.bind), 0)
            if listening:
                self.port = self.tcp.serverPort()
        if listening:
            self.listening = True
            compat = [n for n, on in (("lyipc", self.settings.lyipc), ("klive", self.settings.klive)) if on]
            _log("listening on %s:%d (server %s, %s)%s" % (
                self.bind, self.port, SERVER_VERSION, klayout_version(),
                ", unauthenticated %s compatibility on" % " and ".join(compat) if compat else ""))
        else:
            self.error = "cannot listen on %s:%d: %s (another KLayout or program has the port; set LYWATCH_PORT)" % (
                self.bind, self.port, self.tcp.errorString())
            _warn(self.error)
        self.write_discovery()
        if self.settings.launched:
            self.close_tips(40)  # a tip START_TIPS does not know (a newer KLayout's)
        self.sweeper = pya.QTimer()
        self.sweeper.timeout(self.sweep)
        self.sweeper.start(max(100, int(min(self.settings.idle_timeout, 5.0) * 250)))
        try:
            pya.Application.instance().aboutToQuit(self.stop)
        except Exception:
            pass
        import atexit
        atexit.register(self.stop)

    def stop(self):
        """Puts back the user's KLayout settings and removes the server's
        files (on quit, at exit, or on request; once is enough)."""
        import shutil
        if self.user_settings is not None:
            self.user_settings.restore()
        shutil.rmtree(self.own_dir, ignore_errors=True)
        path = self.discovery
        if not path:
            return
        try:
            with open(path) as f:
                if json.load(f).get("pid") != os.getpid():
                    return
            os.remove(path)
        except Exception:
            pass

    def write_discovery(self):
        info = {
            "pid": os.getpid(),
            "port": self.port,
            "bind": self.bind,
            "name": self.settings.name,
            "instance": self.instance,
            "listening": self.listening,
            "error": self.error,
            "server_version": SERVER_VERSION,
            "protocol": PROTOCOL_VERSION,
            "klayout_version": klayout_version(),
            "started": self.started,
        }
        path = discovery_path(self.port)
        try:
            if not self.listening and os.path.exists(path):
                # Keep the file of the KLayout that has the port; note ours beside it.
                path = path[:-5] + "-%d.json" % os.getpid()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = path + ".tmp%d" % os.getpid()
            with open(tmp, "w") as f:
                json.dump(info, f)
            os.replace(tmp, path)
            self.discovery = path
        except Exception as exc:
            _warn("cannot write discovery file %s: %s" % (path, exc))

    def on_new_connection(self):
        while self.tcp.hasPendingConnections():
            sock = self.tcp.nextPendingConnection()
            host = str(sock.peerAddress().toString())
            peer = "%s:%d" % (host, sock.peerPort())
            conn = Connection(self, sock, peer, _loopback(host))
            if len(self.conns) >= self.settings.max_connections:
                self.evict_idlest(1.0)
            if len(self.conns) >= self.settings.max_connections:
                _warn("refused a connection from %s: %d open already" % (peer, len(self.conns)))
                conn.send_json({"id": None, "ok": False, "code": "busy",
                                "error": "too many connections (%d open): try again" % len(self.conns)})
                conn.close()
                sock.deleteLater()
                continue
            key = id(sock)
            self.conns[key] = conn
            sock.readyRead(conn.on_ready_read)
            sock.disconnected(lambda key=key: self.drop(key))

    def close_tips(self, ticks):
        """Closes a start-up tip dialog that shows all the same (one not in
        START_TIPS) for a KLayout lywatch started; the user's settings stay
        as they are."""
        self.tip_timer = pya.QTimer()
        self.tip_ticks = ticks

        def tick():
            self.tip_ticks -= 1
            try:
                for w in pya.QApplication.topLevelWidgets():
                    if w.objectName == "TipDialog" and w.isVisible():
                        w.reject()
                        _log("closed KLayout's start-up tip")
            except Exception as exc:
                _warn("start-up tip: %s" % exc)
            if self.tip_ticks <= 0:
                self.tip_timer.stop()

        self.tip_timer.timeout(tick)
        self.tip_timer.start(100)

    def evict_idlest(self, silent):
        """Closes the connection silent the longest, if for silent seconds:
        a flood of idle connections cannot lock clients out for long."""
        if not self.conns:
            return
        key = min(self.conns, key=lambda k: self.conns[k].last)
        conn = self.conns[key]
        if time.time() - conn.last >= silent:
            self.conns.pop(key, None)
            conn.discard()
            try:
                conn.sock.abort()
                conn.sock.deleteLater()
            except Exception:
                pass

    def sweep(self):
        """Closes connections silent for longer than the idle timeout."""
        now = time.time()
        for key, conn in list(self.conns.items()):
            if now - conn.last > self.settings.idle_timeout:
                self.conns.pop(key, None)
                conn.discard()
                try:
                    conn.sock.abort()
                    conn.sock.deleteLater()
                except Exception:
                    pass

    def drop(self, key):
        conn = self.conns.pop(key, None)
        if conn is not None:
            conn.discard()
            try:
                conn.sock.deleteLater()
            except Exception:
                pass

    def dispatch(self, req, payload=None):
        """Runs a request; payload is the file holding the bytes that came
        with it (only load takes them)."""
        cmd = req.get("cmd")
        handler = COMMANDS.get(cmd) if isinstance(cmd, str) else None
        if handler is None:
            raise RequestError("unknown_command", "unknown command %r" % (cmd,))
        if cmd == "load":
            return handler(self, req, payload)
        if payload is not None:
            raise RequestError("bad_request", "%s takes no payload" % cmd)
        return handler(self, req)

    def cmd_ping(self, req):
        return {"pong": True, "server_version": SERVER_VERSION, "commands": sorted(COMMANDS),
                "instance": self.instance, "name": self.settings.name, "pid": os.getpid()}

    def cmd_status(self, req):
        return self.viewer.status(self)

    def cmd_load(self, req, payload=None):
        a = load_args(req, payload is not None)
        extra = {}
        if a["factories"]:
            extra["factories"] = a["factories"]
        if a["layer_properties"]:
            extra["layer_properties"] = a["layer_properties"]
        if a["activate"]:
            extra["activate"] = True
        # The report database is checked before the layout shows: a
        # request that fails changes nothing.
        rdb = self.guard.readable("load", a["lyrdb"]) if a["lyrdb"] else None
        if a["partial"]:
            res = self.load_partial(a, payload, extra)
        elif payload is not None:
            path = self.mirror_path(a["path"])
            self.unpack(a, payload, path)
            res = self.viewer.load(path, a["mode"], a["force"], extra)
            res["source"] = a["path"]
        else:
            path = self.guard.readable("load", a["path"])
            res = self.viewer.load(path, a["mode"], a["force"], extra)
        res["instance"] = self.instance
        if rdb is not None:
            res["rdb"] = self.viewer.show_rdb(rdb)
        return res

    def load_partial(self, a, payload, extra):
        """An incremental push: only the new and changed cells came, to read
        into the open layout (see Viewer.apply_partial). When that cannot
        be done, the whole file is reloaded from its path, or, for a layout
        that came as bytes (copy), the client is told to send it whole
        (code mismatch). a is the request's fields (load_args)."""
        src, copy = a["path"], a["copy"]
        if copy:
            path = self.mirror_path(src)
        else:
            path = self.guard.readable("load", src)
        p = {"base": a["base"], "removed": a["removed"], "force": a["force"], "cells": a["cells"],
             "dbu": a["dbu"], "factories": a["factories"]}
        fd, part = tempfile.mkstemp(prefix="partial-", suffix=".gds", dir=self.spool_dir)
        os.close(fd)
        try:
            self.unpack(a, payload, part)
            res, why = self.viewer.apply_partial(path, part, p)
        finally:
            os.remove(part)
        if res is None:
            if copy:
                raise RequestError("mismatch", "load: %s: send the whole layout" % why)
            res = self.viewer.load(path, "reload", p["force"], extra)
            res["fallback"] = why
        if copy:
            res["source"] = src
        if extra.get("activate"):
            self.viewer.activate(path)
        return res

    def mirror_path(self, src):
        """Where the layout a client sent for its path src is kept: the same
        file each time, so a view of it is reloaded, keeping its view."""
        import hashlib
        if not isinstance(src, str) or not src:
            raise RequestError("bad_request", "load: path must name the layout (the client's path)")
        key = hashlib.sha256(src.encode("utf-8", "replace")).hexdigest()[:16]
        base = os.path.basename(src.replace("\\", "/")) or "layout.gds"
        base = "".join(ch for ch in base if ch.isalnum() or ch in "._-")[:100] or "layout.gds"
        d = os.path.join(self.spool_dir, "layouts", key)
        os.makedirs(d, 0o700, exist_ok=True)
        return os.path.join(d, base)

    def unpack(self, a, payload, dest):
        """Writes the layout a request carried (gzip-compressed) to dest,
        checking its size and SHA-256 (a is the request's fields,
        load_args)."""
        import gzip
        import hashlib
        want = a["sha256"]
        fd, tmp = tempfile.mkstemp(prefix=".in-", dir=os.path.dirname(dest))
        h, n, limit = hashlib.sha256(), 0, self.settings.max_layout
        try:
            with os.fdopen(fd, "wb") as out, gzip.open(payload, "rb") as zin:
                while True:
                    chunk = zin.read(1 << 20)
                    if not chunk:
                        break
                    n += len(chunk)
                    if n > limit:
                        raise RequestError("too_large", "load: layout over this server's limit of %d bytes (LYWATCH_MAX_LAYOUT)" % limit)
                    h.update(chunk)
                    out.write(chunk)
            if h.hexdigest() != want:
                raise RequestError("bad_payload", "load: the layout's SHA-256 is %s, the request says %s: damaged on the way" % (h.hexdigest(), want))
            os.replace(tmp, dest)
        except (OSError, EOFError, zlib_error()) as exc:
            raise RequestError("bad_payload", "load: the payload is not gzip-compressed data: %s" % exc)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def cmd_rdb(self, req):
        """Shows the report database at path in the current view, replacing
        the one lywatch showed before; with no path, lists the view's."""
        path = req.get("path")
        if path is None or path == "":
            return self.viewer.rdbs()
        return self.viewer.show_rdb(self.guard.readable("rdb", path))

    def cmd_cells(self, req):
        """Every cell of a view's layout with its shapes per layer, its
        child instances and a digest of its shapes (for comparing layouts,
        as a test does; it reads every shape, so keep it to small ones)."""
        mw = _main_window()
        vi = req.get("view", mw.current_view_index)
        vi = _int_in("cells", "view", vi, 0, max(0, mw.views() - 1))
        if mw.views() == 0:
            raise RequestError("bad_request", "cells: no view open")
        cv = mw.view(vi).active_cellview()
        if not cv.is_valid():
            raise RequestError("bad_request", "cells: view %d shows no layout" % vi)
        return layout_cells(cv.layout())

    def cmd_note(self, req):
        text = req.get("text")
        if not isinstance(text, str):
            raise RequestError("bad_request", "note: text must be a string, not %s" % _short(text))
        seconds = _finite("note", "seconds", req.get("seconds", 0))
        if not 0 <= seconds <= NOTE_SECONDS:
            raise RequestError("bad_request", "note: seconds must be from 0 to %d, not %s" % (NOTE_SECONDS, _short(seconds)))
        return self.viewer.show_note(text, seconds)

    def cmd_zoom(self, req):
        box = req.get("box")
        if not isinstance(box, list) or len(box) != 4:
            raise RequestError("bad_request", "zoom: box must be [left, bottom, right, top] in micrometres")
        return self.viewer.zoom([_finite("zoom", "box", v) for v in box])

    def cmd_zoom_fit(self, req):
        self.viewer.view().zoom_fit()
        return {}

    def cmd_set_layer_visible(self, req):
        visible = req.get("visible", True)
        if not isinstance(visible, bool):
            raise RequestError("bad_request", "set_layer_visible: visible must be true or false, not %s" % _short(visible))
        return self.viewer.set_layer_visible(_text("set_layer_visible", "layer", req.get("layer")), visible)

    def cmd_set_layer_color(self, req):
        color = req.get("color")
        hexdigits = (color[1:] if color.startswith("#") else color) if isinstance(color, str) else ""
        if len(hexdigits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in hexdigits):
            raise RequestError("bad_request", "set_layer_color: color must be #rrggbb, not %s" % _short(color))
        return self.viewer.set_layer_color(_text("set_layer_color", "layer", req.get("layer")), color)

    def cmd_cell(self, req):
        return self.viewer.set_cell(_text("cell", "name", req.get("name")))

    def cmd_hier(self, req):
        view = self.viewer.view()
        if req.get("min") is not None:
            view.min_hier_levels = _int_in("hier", "min", req.get("min"), 0, 1000)
        if req.get("max") is not None:
            view.max_hier_levels = _int_in("hier", "max", req.get("max"), 0, 1000)
        return {"min_hier": view.min_hier_levels, "max_hier": view.max_hier_levels}

    def cmd_save_image(self, req):
        w = _int_in("save_image", "width", req.get("width", 800), 1, MAX_IMAGE_SIDE)
        h = _int_in("save_image", "height", req.get("height", 600), 1, MAX_IMAGE_SIDE)
        if w * h > MAX_IMAGE_PIXELS:
            raise RequestError("bad_request", "save_image: %dx%d is more than %d pixels" % (w, h, MAX_IMAGE_PIXELS))
        path = self.guard.writable_png("save_image", req.get("path"))
        return self.viewer.save_image(path, w, h)

    def cmd_quit(self, req):
        """Ends KLayout (which ignores SIGTERM): after the reply, unless a
        view holds edits made in KLayout (force quits anyway)."""
        force = req.get("force", False)
        if not isinstance(force, bool):
            raise RequestError("bad_request", "quit: force must be true or false, not %s" % _short(force))
        if not force:
            edited = self.viewer.edited_views()
            if edited:
                raise RequestError("dirty", "KLayout has unsaved edits in view %s: save them, or stop with --force"
                                   % ", ".join(str(v) for v in edited))
        self.stop()
        _log("quitting on request")

        def bye():
            # KLayout 0.28.5's own exit can crash ("double free") and then
            # hang in its crash handler; so keep the user's settings as its
            # exit would, and end the process. Nothing unsaved is lost: the
            # views were checked above.
            try:
                app = pya.Application.instance()
                app.write_config(os.path.join(app.application_data_path(), "klayoutrc"))
            except Exception as exc:
                _warn("could not save KLayout's settings: %s" % exc)
            sys.stdout.flush()
            os._exit(0)

        self.quit_timer = pya.QTimer()
        self.quit_timer.setSingleShot(True)
        self.quit_timer.timeout(bye)
        self.quit_timer.start(50)
        return {"quitting": True, "pid": os.getpid(), "instance": self.instance}

    def text_command(self, line):
        words = shlex.split(line)
        if not words:
            raise ValueError("empty command")
        cmd = words[0].lower()
        if cmd == "ping":
            return "pong"
        if cmd == "reload" and words[1:] in ([], ["view"]):
            return self.viewer.reload_current()
        if cmd == "load" and len(words) in (2, 3):
            mode = "reload"
            if len(words) == 3:
                mode = {"0": "replace", "1": "new", "2": "add"}.get(words[2])
                if mode is None:
                    raise ValueError("load: mode must be 0, 1 or 2")
            res = self.viewer.load(self.guard.readable("load", words[1]), mode)
            return res["file"]
        if cmd == "cellview" and len(words) == 2:
            return self.viewer.set_cell(words[1])["cell"]
        raise ValueError("unknown command: %s" % line)


# The commands of lywatch's protocol: name -> Server method. The Go client's
# ipc.Commands() must agree (klayout.TestCommandTablesAgree).
COMMANDS = {
    "ping": Server.cmd_ping,
    "status": Server.cmd_status,
    "load": Server.cmd_load,
    "zoom": Server.cmd_zoom,
    "zoom_fit": Server.cmd_zoom_fit,
    "set_layer_visible": Server.cmd_set_layer_visible,
    "set_layer_color": Server.cmd_set_layer_color,
    "cell": Server.cmd_cell,
    "hier": Server.cmd_hier,
    "save_image": Server.cmd_save_image,
    "quit": Server.cmd_quit,
    "note": Server.cmd_note,
    "cells": Server.cmd_cells,
    "rdb": Server.cmd_rdb,
}


def main():
    if pya.Application.instance().main_window() is None:
        _log("not started: needs KLayout's GUI (klayout -e), not batch mode")
        return
    existing = getattr(sys, "_lywatch_server", None)
    if existing is not None:
        _log("already running in this KLayout (port %d)" % existing.port)
        return
    server = Server()
    sys._lywatch_server = server
    server.start()


main()
