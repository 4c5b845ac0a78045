# Makes a large, many-celled GDS layout for the gds benchmark with KLayout.
# Run: klayout -b -r make_layout.py -rd out=big.gds [-rd leaves=3000] [-rd seed=1]
# Leaf cells hold a mix of rectangles, polygons of 8 to 40 vertices, paths and
# texts on several layers; mid cells place leaves by SREF and AREF; one top.
import math
import random

import pya

out = globals().get("out", "big.gds")
nleaves = int(globals().get("leaves", "3000"))
rng = random.Random(int(globals().get("seed", "1")))

ly = pya.Layout()
ly.dbu = 0.001
layers = [ly.layer(l, d) for l, d in [(1, 0), (2, 0), (3, 0), (10, 0), (41, 1), (66, 0)]]
leaves = []
for i in range(nleaves):
    c = ly.create_cell("leaf_%05d" % i)
    leaves.append(c)
    n = rng.randint(100, 700)
    for k in range(n):
        li = layers[rng.randrange(len(layers))]
        x, y = rng.randrange(0, 200000), rng.randrange(0, 200000)
        r = rng.random()
        if r < 0.5:
            c.shapes(li).insert(pya.Box(x, y, x + rng.randint(50, 5000), y + rng.randint(50, 5000)))
        elif r < 0.9:
            nv = rng.randint(8, 40)
            pts = []
            for v in range(nv):
                a = 2 * math.pi * v / nv
                rad = rng.randint(500, 3000)
                pts.append(pya.Point(x + int(rad * math.cos(a)), y + int(rad * math.sin(a))))
            c.shapes(li).insert(pya.Polygon(pts))
        elif r < 0.98:
            pts = [pya.Point(x, y)]
            for v in range(rng.randint(2, 6)):
                x += rng.randint(-3000, 3000)
                y += rng.randint(-3000, 3000)
                pts.append(pya.Point(x, y))
            c.shapes(li).insert(pya.Path(pts, rng.choice([200, 500, 1000])))
        else:
            c.shapes(li).insert(pya.Text("t%d" % k, pya.Trans(x, y)))
mids = []
for i in range(nleaves // 20):
    m = ly.create_cell("mid_%04d" % i)
    mids.append(m)
    for k in range(20):
        leaf = leaves[rng.randrange(len(leaves))]
        t = pya.Trans(rng.randrange(4), rng.random() < 0.3, rng.randrange(0, 10**6), rng.randrange(0, 10**6))
        if rng.random() < 0.3:
            m.insert(pya.CellInstArray(leaf.cell_index(), t, pya.Vector(210000, 0), pya.Vector(0, 210000), 3, 2))
        else:
            m.insert(pya.CellInstArray(leaf.cell_index(), t))
top = ly.create_cell("TOP")
for i, m in enumerate(mids):
    top.insert(pya.CellInstArray(m.cell_index(), pya.Trans(0, False, (i % 20) * 2 * 10**6, (i // 20) * 2 * 10**6)))
ly.write(out)
print("wrote %s: %d cells" % (out, ly.cells()))
