# The cost of one trace frame inside a KLayout build: lywatch_trace.frame()
# against writing the same layout alone (what a frame cannot do without),
# for a layout of `shapes` boxes in `cells` cells, `n` times each,
# alternating. Prints one line per run: "frame SECONDS", "write SECONDS".
#   klayout -b -r frames.py -rd shapes=1000 -rd cells=10 -rd n=20 -rd scratch=DIR
# with LYWATCH_TRACE (a folder) and the module on PYTHONPATH.
import os
import time

import pya

import lywatch_trace

shapes, cells, n = int(shapes), int(cells), int(n)  # noqa: F821 - -rd defines
ly = pya.Layout()
ly.dbu = 0.001
top = ly.create_cell("TOP")
l1 = ly.layer(1, 0)
per = max(1, shapes // cells)
for c in range(cells):
    cell = ly.create_cell("C%d" % c)
    sh = cell.shapes(l1)
    for i in range(per):
        x, y = (i % 1000) * 2000, (i // 1000) * 2000
        sh.insert(pya.Box(x, y, x + 1000 + c, y + 1000))
    top.insert(pya.CellInstArray(cell.cell_index(), pya.Trans(0, c * 2100000)))
path = os.path.join(scratch, "alone.gds")  # noqa: F821
ly.write(path)
print("bytes %d" % os.path.getsize(path))
for i in range(n):
    t = time.perf_counter()
    assert lywatch_trace.frame(ly, label="frame %d" % i)
    print("frame %.6f" % (time.perf_counter() - t))
    t = time.perf_counter()
    ly.write(path)
    print("write %.6f" % (time.perf_counter() - t))
