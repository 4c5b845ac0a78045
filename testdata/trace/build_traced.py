"""Build the example chip (testdata/pdk) as its build.py does, tracing the
build: three lywatch_trace.frame() calls (a pya Cell, a GDS file, a pya
Layout) and one kfactory-style show() (minikf, through
KFACTORY_SHOW_FUNCTION) after a label is added to the chip. The first two
frames hold the same layout (the pad, all there is so far); the last only
changes the chip's own content.

    klayout -b -r testdata/trace/build_traced.py -rd pdk=testdata/pdk -rd out=build/chip.gds

With LYWATCH_TEST_KLAYOUT (HOST:PORT of lywatch's server inside KLayout)
and LYWATCH_TEST_TRACE_VIEW (the file lywatch shows trace frames from)
set, it waits after each frame until KLayout shows it from there, cell by
cell: the frames are shown while the build runs. After the first, it
zooms that view into a part of it. With LYWATCH_TEST_TRACE_LOG set too,
it appends what it saw after each frame to that file, one JSON object a
line: the frame, whether it held the layout of the frame before ("same"),
KLayout's loads since the frame before, the last load's type and the
view's box. Exits 1 on any error.
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


def _call(addr, cmd, **args):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        req = dict(args, id=1, cmd=cmd, token=os.environ.get("LYWATCH_TOKEN", ""))
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
    reply = json.loads(buf)
    if reply.get("error"):
        raise RuntimeError("%s: %s" % (cmd, reply["error"]))
    return reply["result"]


def _cells(ly):
    """A layout's cells and their digests, as the server's cells command
    computes them."""
    import hashlib

    out = {}
    infos = {li: "%d/%d" % (ly.get_info(li).layer, ly.get_info(li).datatype) for li in ly.layer_indexes()}
    for cell in ly.each_cell():
        h = hashlib.sha256()
        for li, name in sorted(infos.items(), key=lambda x: x[1]):
            shapes = sorted(str(sh) for sh in cell.shapes(li).each())
            if shapes:
                h.update(("%s\n%s\n" % (name, "\n".join(shapes))).encode())
        insts = []
        for i in cell.each_inst():
            ia = i.cell_inst
            insts.append("%s %s %s %s %d %d" % (ly.cell(i.cell_index).name, ia.cplx_trans, ia.a, ia.b, ia.na, ia.nb))
        insts.sort()
        h.update("\n".join(insts).encode())
        out[cell.name] = h.hexdigest()
    return out


class Shown:
    """Waits until KLayout shows each trace frame, and notes how."""

    def __init__(self):
        self.addr = os.environ.get("LYWATCH_TEST_KLAYOUT")
        self.view = os.environ.get("LYWATCH_TEST_TRACE_VIEW")
        self.log = os.environ.get("LYWATCH_TEST_TRACE_LOG")
        self.loads = _call(self.addr, "status")["loads"] if self.addr else 0
        self.seq = 0
        self.before = None  # the cells of the frame before

    def _frame_cells(self):
        import pya

        folder = os.path.join(os.environ["LYWATCH_TRACE"], os.environ.get("LYWATCH_TARGET") or "default")
        ly = pya.Layout()
        ly.read(os.path.join(folder, "%06d.gds" % self.seq))
        return _cells(ly)

    def _view(self, st):
        for v in st["all_views"]:
            if v["file"] == self.view:
                return v
        return None

    def wait(self, what):
        """Waits until the view of the trace file holds the cells of the
        frame just traced; a frame with the layout of the one before is
        shown already (lywatch sends nothing for it)."""
        if not self.addr:
            return
        self.seq += 1
        want = self._frame_cells()
        same = want == self.before
        self.before = want
        deadline = time.time() + 60
        while time.time() < deadline:
            st = _call(self.addr, "status")
            last = st.get("last_load") or {}
            v = self._view(st)
            loaded = st["loads"] > self.loads and last.get("file") == self.view
            if v is not None and (same or loaded):
                got = _call(self.addr, "cells", view=v["view"])
                if {c["name"]: c["digest"] for c in got["cells"]} == want:
                    self.note(what, same, st, v)
                    return
            time.sleep(0.05)
        raise RuntimeError("KLayout did not show the trace frame %s from %s within 60 s" % (what, self.view))

    def note(self, what, same, st, v):
        print("KLayout shows the trace frame %s" % what)
        loads, self.loads = st["loads"] - self.loads, st["loads"]
        if self.log:
            with open(self.log, "a") as f:
                kind = (st.get("last_load") or {}).get("type", "") if loads else ""
                f.write(json.dumps({"frame": self.seq, "same": same, "loads": loads, "type": kind, "box": v["box"]}) + "\n")

    def zoom_in(self):
        """Zooms the view of the trace file (the current one: its first
        frame opened it) into its lower left quarter."""
        if not self.addr:
            return
        st = _call(self.addr, "status")
        v = self._view(st)
        if v is None or st["current_view"] != v["view"]:
            raise RuntimeError("the trace view is not the current one: %r" % (st["all_views"],))
        l, b, r, t = v["box"]
        _call(self.addr, "zoom", box=[l, b, (l + r) / 2, (b + t) / 2])


def main(pdk_dir, out):
    sys.path.insert(0, HERE)
    sys.path.insert(0, pdk_dir)
    import pya

    import lywatch_trace
    import minikf
    import mypdk
    from chip import chip
    from mypdk import layers
    from mypdk.components import pad
    from mypdk.helpers import text

    shown = Shown()
    assert lywatch_trace.frame(pad().cell, label="a pad"), "frame 1 not kept"
    shown.wait("1")
    shown.zoom_in()
    tmp = os.path.join(tempfile.mkdtemp(), "so_far.gds")
    mypdk.kcl.write(tmp)
    assert lywatch_trace.frame(tmp, label="the layout so far, as a file"), "frame 2 not kept"
    shown.wait("2")
    top = chip()
    assert lywatch_trace.frame(mypdk.kcl, label="the chip"), "frame 3 not kept"
    shown.wait("3")
    top.shapes(layers.TEXT).insert(text("traced", 20.0, 40.0))
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
