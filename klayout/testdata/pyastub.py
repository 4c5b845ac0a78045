"""A stand-in for KLayout's pya module, enough to load the lywatch server
macro under plain python3: the tests in this folder import it rather than
each stubbing pya.

    import pyastub
    srv = pyastub.load_server("server.py")

The macro's main() asks for KLayout's main window and, finding none (batch
mode), starts no server. A test that needs a window sets App.window after
the load; one that needs more of pya adds it to pyastub.pya."""

import importlib.util
import sys
import types

sys.dont_write_bytecode = True


class App(object):
    """pya.Application: instance().main_window() is App.window."""

    window = None

    @staticmethod
    def instance():
        return App()

    def main_window(self):
        return App.window

    def version(self):
        return "KLayout test"


pya = types.ModuleType("pya")
pya.Application = App


def load_server(path):
    """Loads the server macro at path as a module, with pya stubbed."""
    sys.modules["pya"] = pya
    spec = importlib.util.spec_from_file_location("lywatch_server", path)
    srv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(srv)
    return srv
