# lywatch server: runs inside KLayout's GUI and lets lywatch (and lyipc or
# klive clients) load layouts into the running window, keeping the view.
#
# Start it with `klayout -e -rm lywatch_server.py`, or install it as an
# autorun macro with `lywatch klayout install`. It listens on 127.0.0.1:11078
# (LYWATCH_PORT / -rd lywatch_port=N to change, LYWATCH_BIND / -rd
# lywatch_bind=ADDR for the address) and speaks:
#
#   * lywatch's protocol: one JSON request per line, {"id": .., "cmd": ..},
#     one JSON reply per line, {"id": .., "ok": true, "result": {..}} or
#     {"id": .., "ok": false, "error": ".."}. Commands: ping, status, load,
#     zoom, zoom_fit, set_layer_visible, set_layer_color, cell, hier,
#     save_image.
#   * a klive request ({"gds": path, "keep_position": true}) on the same line
#     format, answered klive-style.
#   * lyipc's text commands (first byte not '{'): `load <path> [mode]`,
#     `reload view`, `cellview <name>`, `ping`, answered `ACK ...` / `ERR ...`
#     and the connection closed.
#
# It uses only API that KLayout 0.28.5, 0.29 and 0.30 share.

import json
import os
import shlex
import sys
import tempfile
import time
import traceback

import pya

SERVER_VERSION = "0.1.0"
PROTOCOL_VERSION = 1
DEFAULT_PORT = 11078
DEFAULT_BIND = "127.0.0.1"
MAX_LINE = 1 << 20  # bytes in one request line


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


def _each_layer(view):
    """The view's layer entries (leaves of the layer tree), in order."""
    it = view.begin_layers()
    while not it.at_end():
        node = it.current()
        if not node.has_children():
            yield node
        it.next()


class Viewer(object):
    """Everything the server does to KLayout's window."""

    def __init__(self):
        self.loads = 0
        self.last_load = None
        # Paths whose reload failed -> the view state before it. KLayout
        # leaves such a layout half read and marked as edited, which must not
        # stop the next push.
        self.broken = {}

    def find(self, path):
        """(view_index, cellview_index) of a view showing path, or None."""
        mw = _main_window()
        cur = mw.current_view_index
        order = list(range(mw.views()))
        if 0 <= cur < len(order):
            order.remove(cur)
            order.insert(0, cur)
        for vi in order:
            view = mw.view(vi)
            for ci in range(view.cellviews()):
                if _same_file(view.cellview(ci).filename(), path):
                    return vi, ci
        return None

    def load(self, path, mode="reload", force=False):
        if not path:
            raise ValueError("load: no path given")
        path = os.path.abspath(os.path.expanduser(path))
        if not os.path.isfile(path):
            raise ValueError("load: no such file: %s" % path)
        if mode not in ("reload", "new", "replace", "add"):
            raise ValueError("load: unknown mode %r (want reload, new, replace or add)" % mode)
        mw = _main_window()
        t0 = time.time()
        kind = "open"
        where = self.find(path) if mode == "reload" else None
        if where is not None:
            vi, ci = where
            if not force and path not in self.broken and _dirty(mw.view(vi).cellview(ci)):
                raise RuntimeError(
                    "%s has unsaved edits in KLayout (view %d): save or discard them, "
                    "or push with force (lywatch push --force) or into a new view" % (path, vi))
            if mw.current_view_index != vi:
                mw.select_view(vi)
            self._reload_keeping_view(mw.view(vi), ci)
            kind = "reload"
        else:
            lmode = {"reload": 1, "new": 1, "replace": 0, "add": 2}[mode]
            if mw.current_view() is None:
                lmode = 1
            mw.load_layout(path, lmode)
            view = mw.current_view()
            if view is not None:
                view.max_hier()
                view.zoom_fit()
        self.loads += 1
        ms = (time.time() - t0) * 1000.0
        view = mw.current_view()
        cv = view.active_cellview() if view is not None else None
        self.last_load = {
            "file": path,
            "type": kind,
            "mode": mode,
            "load_ms": round(ms, 3),
            "time": time.time(),
        }
        return {
            "type": kind,
            "file": path,
            "cell": cv.cell_name if cv is not None and cv.is_valid() else "",
            "view": mw.current_view_index,
            "load_ms": round(ms, 3),
        }

    def _reload_keeping_view(self, view, ci):
        """Reload cellview ci of view, keeping the view box, layer
        properties, cell and hierarchy levels. When a reload fails KLayout
        leaves the layout half read; the view as it was before is then kept
        for the next reload of the same file."""
        cv = view.cellview(ci)
        path = os.path.abspath(cv.filename())
        state = self.broken.get(path)
        if state is None:
            fd, props = tempfile.mkstemp(prefix="lywatch-", suffix=".lyp")
            os.close(fd)
            view.save_layer_props(props)
            state = {
                "box": view.box(),
                "cell": cv.cell_name if cv.is_valid() else "",
                "hier": (view.min_hier_levels, view.max_hier_levels),
                "props": props,
            }
        try:
            view.reload_layout(ci)
        except Exception:
            self.broken[path] = state
            raise
        self.broken.pop(path, None)
        try:
            view.load_layer_props(state["props"])
        finally:
            try:
                os.remove(state["props"])
            except OSError:
                pass
        view.add_missing_layers()
        cv = view.cellview(ci)
        cell = state["cell"]
        if cv.is_valid():
            ly = cv.layout()
            if cell and ly.has_cell(cell):
                if cv.cell_name != cell:
                    cv.cell_name = cell
            elif not cv.cell_name and ly.top_cells():
                cv.cell_name = ly.top_cells()[0].name
        view.min_hier_levels, view.max_hier_levels = state["hier"]
        view.zoom_box(state["box"])

    def reload_current(self):
        mw = _main_window()
        view = mw.current_view()
        if view is None:
            raise RuntimeError("no view open")
        ci = view.active_cellview_index()
        if ci < 0:
            raise RuntimeError("no layout in the current view")
        cv = view.cellview(ci)
        if os.path.abspath(cv.filename()) not in self.broken and _dirty(cv):
            raise RuntimeError("the current layout has unsaved edits in KLayout: save or discard them first")
        self._reload_keeping_view(view, ci)
        self.loads += 1
        return view.cellview(ci).filename()

    def view(self):
        view = _main_window().current_view()
        if view is None:
            raise RuntimeError("no view open")
        return view

    def zoom(self, box):
        if not isinstance(box, list) or len(box) != 4:
            raise ValueError("zoom: box must be [left, bottom, right, top] in micrometres")
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
        if not path:
            raise ValueError("save_image: no path given")
        view = self.view()
        path = os.path.abspath(os.path.expanduser(path))
        view.save_image(path, int(width), int(height))
        return {"path": path}

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
            "listening": server.listening,
            "views": mw.views(),
            "current_view": mw.current_view_index,
            "loads": self.loads,
            "file_watcher": str(mw.get_config("layout-file-watcher-enabled")).lower() == "true",
        }
        if self.last_load is not None:
            st["last_load"] = self.last_load
        view = mw.current_view()
        if view is None:
            return st
        cv = view.active_cellview()
        if cv is not None and cv.is_valid():
            st["file"] = os.path.abspath(cv.filename()) if cv.filename() else ""
            st["cell"] = cv.cell_name
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
    """One client: buffers bytes across readyRead signals and answers lines."""

    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.buf = b""
        self.mode = None  # "json" or "text", fixed by the first byte
        self.discarding = False
        self.closing = False

    def on_ready_read(self):
        try:
            data = self.sock.readAll()
            if not isinstance(data, (bytes, bytearray)):
                data = bytes(data)  # QByteArray in some builds
            self.feed(bytes(data))
        except Exception:
            _warn("connection error: " + traceback.format_exc())

    def feed(self, data):
        while data and not self.closing:
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
                if len(self.buf) + len(data) > MAX_LINE:
                    self.buf = b""
                    self.discarding = True
                    self.too_long()
                else:
                    self.buf += data
                return
            line = self.buf + data[:nl]
            self.buf = b""
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
            self.send_json({"id": None, "ok": False, "error": msg})

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
            self.send_json({"id": None, "ok": False, "error": "malformed request: %s" % exc})
            return
        if not isinstance(req, dict):
            self.send_json({"id": None, "ok": False, "error": "malformed request: not a JSON object"})
            return
        rid = req.get("id")
        if "cmd" not in req and "gds" in req:
            self.handle_klive(req)
            return
        try:
            result = self.server.dispatch(req)
            self.send_json({"id": rid, "ok": True, "result": result})
        except Exception as exc:
            self.send_json({"id": rid, "ok": False, "error": "%s: %s" % (type(exc).__name__, exc)})

    def handle_klive(self, req):
        try:
            res = self.server.viewer.load(req.get("gds"), "reload" if req.get("keep_position", True) else "new")
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
            reply = "ACK " + self.server.text_command(line.decode("utf-8", "replace"))
        except Exception as exc:
            reply = "ERR " + ("%s: %s" % (type(exc).__name__, exc)).replace("\n", " ")
        self.send_text(reply)
        self.closing = True
        self.sock.disconnectFromHost()

    def send_json(self, obj):
        self.write((json.dumps(obj) + "\n").encode("utf-8"))

    def send_text(self, text):
        self.write((text + "\r\n").encode("utf-8"))

    def write(self, data):
        try:
            self.sock.write(data)
        except TypeError:
            self.sock.write(pya.QByteArray(data))
        self.sock.flush()


class Server(object):
    """The QTcpServer, its connections and the discovery file."""

    def __init__(self):
        self.port = int(_setting("lywatch_port", "LYWATCH_PORT", DEFAULT_PORT))
        self.bind = _setting("lywatch_bind", "LYWATCH_BIND", DEFAULT_BIND)
        self.viewer = Viewer()
        self.conns = {}
        self.listening = False
        self.error = ""
        self.tcp = None
        self.discovery = ""
        self.started = time.time()

    def start(self):
        try:
            _main_window().set_config("layout-file-watcher-enabled", "false")
        except Exception as exc:
            _warn("could not turn off the file-changed prompt: %s" % exc)
        self.tcp = pya.QTcpServer()
        self.tcp.newConnection(self.on_new_connection)
        if self.tcp.listen(pya.QHostAddress(self.bind), self.port):
            self.listening = True
            _log("listening on %s:%d (server %s, %s)" % (self.bind, self.port, SERVER_VERSION, klayout_version()))
        else:
            self.error = "cannot listen on %s:%d: %s (another KLayout or program has the port; set LYWATCH_PORT)" % (
                self.bind, self.port, self.tcp.errorString())
            _warn(self.error)
        self.write_discovery()
        try:
            pya.Application.instance().aboutToQuit(self.stop)
        except Exception:
            pass
        import atexit
        atexit.register(self.stop)

    def stop(self):
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
            conn = Connection(self, sock)
            key = id(sock)
            self.conns[key] = conn
            sock.readyRead(conn.on_ready_read)
            sock.disconnected(lambda key=key: self.drop(key))

    def drop(self, key):
        conn = self.conns.pop(key, None)
        if conn is not None:
            try:
                conn.sock.deleteLater()
            except Exception:
                pass

    def dispatch(self, req):
        cmd = req.get("cmd")
        handler = COMMANDS.get(cmd) if isinstance(cmd, str) else None
        if handler is None:
            raise ValueError("unknown command %r" % (cmd,))
        return handler(self, req)

    def cmd_ping(self, req):
        return {"pong": True, "server_version": SERVER_VERSION, "commands": sorted(COMMANDS)}

    def cmd_status(self, req):
        return self.viewer.status(self)

    def cmd_load(self, req):
        return self.viewer.load(req.get("path"), req.get("mode") or "reload", bool(req.get("force")))

    def cmd_zoom(self, req):
        return self.viewer.zoom(req.get("box"))

    def cmd_zoom_fit(self, req):
        self.viewer.view().zoom_fit()
        return {}

    def cmd_set_layer_visible(self, req):
        return self.viewer.set_layer_visible(req.get("layer"), req.get("visible", True))

    def cmd_set_layer_color(self, req):
        return self.viewer.set_layer_color(req.get("layer"), req.get("color"))

    def cmd_cell(self, req):
        return self.viewer.set_cell(req.get("name"))

    def cmd_hier(self, req):
        view = self.viewer.view()
        if req.get("min") is not None:
            view.min_hier_levels = int(req.get("min"))
        if req.get("max") is not None:
            view.max_hier_levels = int(req.get("max"))
        return {"min_hier": view.min_hier_levels, "max_hier": view.max_hier_levels}

    def cmd_save_image(self, req):
        return self.viewer.save_image(req.get("path"), req.get("width", 800), req.get("height", 600))

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
            res = self.viewer.load(words[1], mode)
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
