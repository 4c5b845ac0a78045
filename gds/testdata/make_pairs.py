# Makes a small layout and variants of it with KLayout, for gds's tests:
#   klayout -b -r make_pairs.py -rd out=DIR
# Writes DIR/base.gds and DIR/<variant>.gds for each variant below.
import random
import pya

VARIANTS = ["base", "reordered", "moved_vertex", "renamed", "added_layer", "pitch", "property"]


def build(variant):
    ly = pya.Layout()
    ly.dbu = 0.001
    l1, l2, l3 = ly.layer(1, 0), ly.layer(2, 0), ly.layer(3, 0)
    leaf = ly.create_cell("LEAF_RENAMED" if variant == "renamed" else "LEAF")
    shapes = [(l1, pya.Box(i * 100, 0, i * 100 + 50, 50 + i)) for i in range(20)]
    pts = [pya.Point(0, 0), pya.Point(1000, 0), pya.Point(1000, 500), pya.Point(500, 800), pya.Point(0, 500)]
    if variant == "moved_vertex":
        pts[3] = pya.Point(510, 800)
    shapes.append((l2, pya.Polygon(pts)))
    shapes.append((l2, pya.Path([pya.Point(0, 0), pya.Point(0, 1000), pya.Point(500, 1000)], 100, 20, 30)))
    shapes.append((l2, pya.Path([pya.Point(0, 0), pya.Point(700, 0)], 50, 0, 0, True)))
    shapes.append((l1, pya.Text("hello", pya.Trans(pya.Trans.R90, 10, 20))))
    if variant == "reordered":
        random.Random(5).shuffle(shapes)
    for layer, s in shapes:
        leaf.shapes(layer).insert(s)
    if variant == "added_layer":
        leaf.shapes(l3).insert(pya.Box(0, 0, 10, 10))
    pid = ly.properties_id([[1, "changed" if variant == "property" else "orig"]])
    leaf.shapes(l1).insert(pya.Box(5000, 5000, 6000, 6000), pid)

    mid = ly.create_cell("MID")
    mid.insert(pya.CellInstArray(leaf.cell_index(), pya.Trans(pya.Trans.M45, 100, 200)))
    pitch = 2100 if variant == "pitch" else 2000
    mid.insert(pya.CellInstArray(leaf.cell_index(), pya.Trans(0, 0), pya.Vector(pitch, 0), pya.Vector(0, 3000), 4, 3))
    mid.shapes(l1).insert(pya.Box(-100, -100, 0, 0))
    top = ly.create_cell("TOP")
    top.insert(pya.CellInstArray(mid.cell_index(), pya.Trans(pya.Trans.R180, 10000, 0)))
    top.insert(pya.CellInstArray(leaf.cell_index(), pya.ICplxTrans(2.0, 30.0, True, 1000, 2000)))
    ly.write("%s/%s.gds" % (out, variant))


for v in VARIANTS:
    build(v)
print("ok")
