# Times KLayout's own Layout.read of a file: klayout -b -r klayout_read.py -rd f=FILE
import time
import pya

t0 = time.time()
ly = pya.Layout()
ly.read(f)
t1 = time.time()
shapes = sum(c.shapes(li).size() for c in ly.each_cell() for li in ly.layer_indexes())
print("klayout_read_seconds %.3f cells %d shapes %d" % (t1 - t0, ly.cells(), shapes))
