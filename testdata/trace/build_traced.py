"""Build the example chip (testdata/pdk) as its build.py does, tracing the
build: three lywatch_trace.frame() calls (a pya Cell, a GDS file, a pya
Layout) and one kfactory-style show() (minikf, through
KFACTORY_SHOW_FUNCTION).

    klayout -b -r testdata/trace/build_traced.py -rd pdk=testdata/pdk -rd out=build/chip.gds

With LYWATCH_TEST_KLAYOUT (HOST:PORT of lywatch's server inside KLayout)
and LYWATCH_TEST_TRACE_VIEW (the file lywatch shows trace frames from)
set, it waits after each frame until KLayout has loaded it from there: the
frames are shown while the build runs. Exits 1 on any error.
"""

import json
import os
import socket
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))


def _status(addr):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        req = {"id": 1, "cmd": "status", "token": os.environ.get("LYWATCH_TOKEN", "")}
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf)["result"]


class Shown:
    """Waits until KLayout has loaded one more trace frame."""

    def __init__(self):
        self.addr = os.environ.get("LYWATCH_TEST_KLAYOUT")
        self.view = os.environ.get("LYWATCH_TEST_TRACE_VIEW")
        self.loads = _status(self.addr)["loads"] if self.addr else 0

    def wait(self, what):
        if not self.addr:
            return
        deadline = time.time() + 60
        while time.time() < deadline:
            st = _status(self.addr)
            last = st.get("last_load") or {}
            if st["loads"] > self.loads and last.get("file") == self.view:
                self.loads = st["loads"]
                print("KLayout shows the trace frame %s" % what)
                return
            time.sleep(0.05)
        raise RuntimeError("KLayout did not show the trace frame %s from %s within 60 s" % (what, self.view))


def main(pdk_dir, out):
    sys.path.insert(0, HERE)
    sys.path.insert(0, pdk_dir)
    import pya

    import lywatch_trace
    import minikf
    import mypdk
    from chip import chip
    from mypdk.components import pad

    shown = Shown()
    assert lywatch_trace.frame(pad().cell, label="a pad"), "frame 1 not kept"
    shown.wait("1")
    tmp = os.path.join(tempfile.mkdtemp(), "so_far.gds")
    mypdk.kcl.write(tmp)
    assert lywatch_trace.frame(tmp, label="the layout so far, as a file"), "frame 2 not kept"
    shown.wait("2")
    top = chip()
    assert lywatch_trace.frame(mypdk.kcl, label="the chip"), "frame 3 not kept"
    shown.wait("3")
    minikf.KCell(top.cell).show()
    shown.wait("4 (show)")

    out = out if os.path.isabs(out) else os.path.join(pdk_dir, out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    opts = pya.SaveLayoutOptions()
    opts.format = "GDS2"
    opts.gds2_write_timestamps = False
    part = out + ".part.gds"
    mypdk.kcl.write(part, opts)
    os.replace(part, out)
    print("built %s, traced" % out)


failed = False
try:
    main(globals().get("pdk") or os.path.join(HERE, "..", "pdk"), globals().get("out") or "build/chip.gds")
except BaseException:
    traceback.print_exc()
    sys.stderr.flush()
    failed = True
if failed:
    sys.exit(1)
