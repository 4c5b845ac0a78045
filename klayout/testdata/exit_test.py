"""Checks the server macro's discovery file and the KLayout settings it
changes with plain Python: pya is stubbed with a main window and a
QTcpServer that listens, the macro is loaded (and so starts, as in a
KLayout lywatch started), and then KLayout "quits": the settings are the
user's again. Run by TestServerDiscoveryLifecycleInPython:

    python3 exit_test.py server.py quit    the aboutToQuit signal fires
    python3 exit_test.py server.py atexit  the interpreter simply ends

XDG_CACHE_HOME and LYWATCH_PORT come from the test."""

import importlib.util
import json
import os
import sys
import types

sys.dont_write_bytecode = True
pya = types.ModuleType("pya")
quit_callbacks = []


# The user's KLayout settings, as KLayout holds them.
config = {"tip-window-hidden": "no-stipple=0", "layout-file-watcher-enabled": "true"}


class _MainWindow:
    def get_config(self, key):
        return config.get(key)

    def set_config(self, key, value):
        config[key] = value


class _App:
    @staticmethod
    def instance():
        return _App()

    def main_window(self):
        return _MainWindow()

    def version(self):
        return "KLayout test"

    def aboutToQuit(self, cb):
        quit_callbacks.append(cb)


class _TcpServer:
    def newConnection(self, cb):
        pass

    def listen(self, addr, port):
        return True

    def errorString(self):
        return ""


class _Timer:
    def timeout(self, cb):
        pass

    def start(self, ms):
        pass


pya.Application = _App
pya.QTimer = _Timer
pya.QTcpServer = _TcpServer
pya.QHostAddress = lambda a: a
sys.modules["pya"] = pya

os.environ["LYWATCH_LAUNCHED"] = "1"  # as lywatch klayout start does
spec = importlib.util.spec_from_file_location("lywatch_server", sys.argv[1])
srv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(srv)

server = sys._lywatch_server
path = srv.discovery_path(server.port)
with open(path) as f:
    info = json.load(f)
assert info["pid"] == os.getpid() and info["listening"], info
assert server.discovery == path, (server.discovery, path)

# While it runs: no start-up tip, and no "file changed" prompt.
hidden = "no-stipple=0,only-top-level-shown-by-default,editor-mode,show-markers,hide-empty-layers"
assert config == {"tip-window-hidden": hidden, "layout-file-watcher-enabled": "false"}, config

if sys.argv[2] == "quit":
    # The user hides another tip meanwhile: that stays.
    config["tip-window-hidden"] += ",drawing-on-invisible-layer=0"

    # Another KLayout's file at the same place is not ours to remove.
    with open(path, "w") as f:
        json.dump(dict(info, pid=1), f)
    for cb in quit_callbacks:
        cb()
    assert os.path.exists(path), "stop removed another KLayout's discovery file"
    with open(path, "w") as f:
        json.dump(info, f)
    assert quit_callbacks, "the server did not connect to aboutToQuit"
    for cb in quit_callbacks:
        cb()
    assert not os.path.exists(path), "discovery file left after quitting"
    want = {"tip-window-hidden": "no-stipple=0,drawing-on-invisible-layer=0", "layout-file-watcher-enabled": "true"}
    assert config == want, "settings after quitting: %s, want %s" % (config, want)
print("ok")
