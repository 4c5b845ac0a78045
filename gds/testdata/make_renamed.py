# Writes two versions of a layout in which an edit renamed a parameterised
# leaf, as kfactory names cells by their parameters, and prints what
# KLayout's LayoutDiff finds between the old and the new leaf:
#   klayout -b -r make_renamed.py -rd out=DIR
# Writes DIR/a.gds and DIR/b.gds; prints "renamed OLD NEW", then one line
# "layer L/D a_only N b_only M" per layer where the two leaves differ.
import os
import pya

OLD, NEW = "mmi1x2_W0p5_WM2p5", "mmi1x2_W0p5_WM6"


def leaf(ly, name, wm):
    c = ly.create_cell(name)
    c.shapes(ly.layer(1, 0)).insert(pya.Box(0, -250, 10000, 250))  # the waveguide: unchanged
    c.shapes(ly.layer(1, 0)).insert(pya.Polygon([pya.Point(10000, -wm // 2), pya.Point(12000, -wm // 2),
                                                 pya.Point(12000, wm // 2), pya.Point(10000, wm // 2)]))
    c.shapes(ly.layer(2, 0)).insert(pya.Box(0, -wm, 12000, wm))  # the cladding
    c.shapes(ly.layer(2, 0)).insert(pya.Box(0, -5000, 12000, -4000))  # unchanged
    c.shapes(ly.layer(66, 0)).insert(pya.Text("o1", pya.Trans(0, 0)))
    return c


def layout(name, wm):
    ly = pya.Layout()
    ly.dbu = 0.001
    top = ly.create_cell("TOP")
    s = ly.create_cell("straight_L10")
    s.shapes(ly.layer(1, 0)).insert(pya.Box(0, -250, 10000, 250))
    m = leaf(ly, name, wm)
    top.insert(pya.CellInstArray(s.cell_index(), pya.Trans(0, 0)))
    top.insert(pya.CellInstArray(s.cell_index(), pya.Trans(pya.Trans.R180, 30000, 0)))
    top.insert(pya.CellInstArray(m.cell_index(), pya.Trans(10000, 0)))
    return ly


a, b = layout(OLD, 2500), layout(NEW, 6000)
a.write(os.path.join(out, "a.gds"))
b.write(os.path.join(out, "b.gds"))
print("renamed %s %s" % (OLD, NEW))

counts = {}
cur = [None]


def begin(layer, ia, ib):
    cur[0] = "%d/%d" % (layer.layer, layer.datatype)


def count(side):
    def f(*args):
        counts.setdefault(cur[0], [0, 0])[side] += 1
    return f


d = pya.LayoutDiff()
d.on_begin_layer = begin
for kind in ("polygon", "box", "path", "text", "edge"):
    setattr(d, "on_%s_in_a_only" % kind, count(0))
    setattr(d, "on_%s_in_b_only" % kind, count(1))
same = d.compare(a.cell(OLD), b.cell(NEW), pya.LayoutDiff.Verbose | pya.LayoutDiff.SmartCellMapping, 0)
print("leaves %s" % ("equal" if same else "different"))
for layer in sorted(counts):
    print("layer %s a_only %d b_only %d" % (layer, counts[layer][0], counts[layer][1]))
