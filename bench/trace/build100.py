# A build of the example chip that hands lywatch 100 trace frames (the
# whole layout each time, growing as the chip is built), then writes the
# chip. With tracing off, the same calls do nothing.
#   klayout -b -r bench/trace/build100.py -rd pdk=testdata/pdk -rd out=OUT.gds
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, pdk)  # noqa: F821 - a -rd define

import pya

import lywatch_trace
import mypdk
from chip import chip
from mypdk.components import mzi, pad

spent = [0.0]


def frame(label):
    t = time.perf_counter()
    lywatch_trace.frame(mypdk.kcl, label=label)
    spent[0] += time.perf_counter() - t


for i in range(50):
    mzi(delta_length=float(i + 1))
    frame("mzi %d" % (i + 1))
for i in range(49):
    pad(size=float(60 + i))
    frame("pad %d" % (i + 1))
chip()
frame("chip")
print("in frame(): %.6f s" % spent[0])
opts = pya.SaveLayoutOptions()
opts.gds2_write_timestamps = False
mypdk.kcl.write(out, opts)  # noqa: F821
