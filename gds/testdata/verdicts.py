# Prints KLayout's LayoutDiff verdict for pairs of files:
#   klayout -b -r verdicts.py -rd base=A.gds -rd others=B.gds,C.gds
# One line per other file: "NAME equal" or "NAME different".
import os
import pya

a = pya.Layout()
a.read(base)
for path in others.split(","):
    b = pya.Layout()
    b.read(path)
    same = pya.LayoutDiff().compare(a, b, 0)
    print("%s %s" % (os.path.basename(path), "equal" if same else "different"))
