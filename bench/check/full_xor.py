# KLayout's full XOR of two whole layouts, per layer, flattened from their
# top cells (every one: paired by name): what a check without the hash prefilter does (gdsfactory's and
# kfactory's difftest). Run: klayout -b -r full_xor.py -rd a=A.gds -rd b=B.gds
import time

import pya

t0 = time.time()
la, lb = pya.Layout(), pya.Layout()
la.read(a)
lb.read(b)
tops = sorted(set(c.name for c in la.top_cells()) | set(c.name for c in lb.top_cells()))
t1 = time.time()
total, polys = 0, 0
for info in sorted(set((i.layer, i.datatype) for ly in (la, lb) for i in ly.layer_infos())):
    for name in tops:
        ra, rb = pya.Region(), pya.Region()
        if la.cell(name) is not None:
            ra = pya.Region(la.cell(name).begin_shapes_rec(la.layer(*info)))
        if lb.cell(name) is not None:
            rb = pya.Region(lb.cell(name).begin_shapes_rec(lb.layer(*info)))
        x = ra ^ rb
        if not x.is_empty():
            total += x.area()
            polys += x.count()
t2 = time.time()
print("full_xor read %.2f s xor %.2f s area %.6g um2 polygons %d" % (t1 - t0, t2 - t1, total * lb.dbu * lb.dbu, polys))
