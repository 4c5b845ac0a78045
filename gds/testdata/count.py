# Prints what KLayout reads in each file:
#   klayout -b -r count.py -rd files=A.gds,B.gds
# One line per file: "NAME cells C shapes S instances I".
import os
import pya

for path in files.split(","):
    ly = pya.Layout()
    ly.read(path)
    cells = shapes = insts = 0
    for c in ly.each_cell():
        if c.name == "$$$CONTEXT_INFO$$$":
            continue
        cells += 1
        insts += c.child_instances()
        for li in ly.layer_indexes():
            shapes += c.shapes(li).size()
    print("%s cells %d shapes %d instances %d" % (os.path.basename(path), cells, shapes, insts))
