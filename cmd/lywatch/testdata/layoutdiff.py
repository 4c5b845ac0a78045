"""Compare pairs of layouts with KLayout's own LayoutDiff.

    klayout -b -r layoutdiff.py -rd "pairs=A.gds|B.gds;C.gds|D.gds"

Prints "same N" when every pair is the same layout (cells matched by name,
shapes and instances compared as KLayout compares them), else one line per
pair that differs.
"""

import pya

bad = []
checked = 0
for pair in (globals().get("pairs") or "").split(";"):
    if not pair:
        continue
    a, b = pair.split("|")
    la, lb = pya.Layout(), pya.Layout()
    la.read(a)
    lb.read(b)
    checked += 1
    if not pya.LayoutDiff().compare(la, lb, pya.LayoutDiff.Silent):
        bad.append("%s and %s differ" % (a, b))
print("\n".join(bad) if bad else "same %d" % checked)
