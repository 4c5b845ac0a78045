"""Build the example chip into a GDS file with KLayout's Python.

    klayout -b -r testdata/pdk/build.py -rd out=build/chip.gds

The out define (default build/chip.gds) is relative to this directory unless
absolute. The GDS is written to a temporary file beside the target and renamed
into place, so readers never see a half-written file, and carries no
timestamps, so the same sources give the same bytes. Next to it goes
<out minus .gds>.cells.json: cell name -> factory, module, parameters and ports
(KLayout 0.28 cannot store per-cell metadata in GDS), and the SHA-256 of the GDS,
with which mypdk.cell reuses the cells of the last good build under lywatch.
Exits 1 on any error.
"""

import hashlib
import json
import os
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))

# No __pycache__ in the source tree: a watcher would see every build as an edit.
sys.dont_write_bytecode = True


def _write_atomic(path, write):
    """Call write(tmp_path) for a temporary file beside path, then rename it onto path."""
    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    base = os.path.basename(path)
    suffix = ".gds" if base.endswith(".gds") else ".tmp"
    fd, tmp = tempfile.mkstemp(prefix="." + base + ".", suffix=suffix, dir=d)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def main(out):
    t0 = time.time()
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import pya

    import mypdk
    from chip import chip

    top = chip()
    out = out if os.path.isabs(out) else os.path.join(HERE, out)
    opts = pya.SaveLayoutOptions()
    opts.format = "GDS2"
    opts.write_context_info = True
    opts.gds2_write_timestamps = False  # same sources, same bytes
    _write_atomic(out, lambda tmp: mypdk.kcl.write(tmp, opts))

    with open(out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    meta = {"top": top.name, "cells": mypdk.METADATA, "gds_sha256": digest}
    side = (out[:-4] if out.endswith(".gds") else out) + ".cells.json"
    text = json.dumps(meta, indent=1, sort_keys=True, default=repr) + "\n"
    _write_atomic(side, lambda tmp: open(tmp, "w").write(text))
    reused = " (%d from the last good build)" % len(mypdk.REUSED) if mypdk.REUSED else ""
    print("built %s: top %s, %d cells%s, %.0f ms" % (out, top.name, mypdk.kcl.cells(), reused, (time.time() - t0) * 1000))


failed = False
try:
    main(globals().get("out") or "build/chip.gds")
except SystemExit:
    raise
except BaseException:
    traceback.print_exc()
    sys.stderr.flush()
    failed = True
if failed:
    # Outside the except block: KLayout 0.28 exits 0 on sys.exit() raised in a handler.
    sys.exit(1)
