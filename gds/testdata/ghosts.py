# What KLayout reads in each file, ghost cells included:
#   klayout -b -r ghosts.py -rd files=A.gds,B.gds [-rd make=OUT.gds]
# With make, first writes OUT.gds: a layout whose cells place cells marked
# as ghosts, which KLayout's writer leaves undefined.
# Per file: "file NAME", "top T1 T2 ..." (sorted), then per cell, sorted by
# name: "cell NAME ghost|real SHAPES INSTANCES".
import os
import pya

try:
    make
except NameError:
    make = ""

if make:
    ly = pya.Layout()
    ly.dbu = 0.001
    top = ly.create_cell("TOP")
    mid = ly.create_cell("MID")
    g1 = ly.create_cell("sky130_fd_sc_hd__decap_4")
    g2 = ly.create_cell("sky130_fd_sc_hd__fill_1")
    for g in (g1, g2):
        g.ghost_cell = True
    l1 = ly.layer(1, 0)
    top.shapes(l1).insert(pya.Box(0, 0, 1000, 500))
    mid.shapes(ly.layer(2, 0)).insert(pya.Polygon([pya.Point(0, 0), pya.Point(100, 0), pya.Point(50, 80)]))
    top.insert(pya.CellInstArray(mid.cell_index(), pya.Trans(pya.Trans.R90, 10, 20)))
    top.insert(pya.CellInstArray(g1.cell_index(), pya.Trans(0, 0)))
    mid.insert(pya.CellInstArray(g1.cell_index(), pya.Trans(5, 5)))
    mid.insert(pya.CellInstArray(g2.cell_index(), pya.Trans(0, 0), pya.Vector(460, 0), pya.Vector(0, 2720), 4, 2))
    ly.write(make)
    files = make + ("," + files if files else "")

for path in files.split(","):
    ly = pya.Layout()
    ly.read(path)
    print("file %s" % os.path.basename(path))
    print("top %s" % " ".join(sorted(c.name for c in ly.top_cells())))
    for c in sorted(ly.each_cell(), key=lambda c: c.name):
        if c.name == "$$$CONTEXT_INFO$$$":
            continue
        n = sum(c.shapes(li).size() for li in ly.layer_indexes())
        print("cell %s %s %d %d" % (c.name, "ghost" if c.is_ghost_cell() else "real", n, c.child_instances()))
