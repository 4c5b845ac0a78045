# Writes a copy of a layout with one leaf cell changed: one more box on
# layer 1/0. The cell is the first leaf, by name from leaf_01000, that the
# hierarchy places (or cell=NAME).
# Run: klayout -b -r modify.py -rd a=IN.gds -rd b=OUT.gds [-rd cell=NAME]
import pya

ly = pya.Layout()
ly.read(a)
name = globals().get("cell")
if not name:
    leaves = sorted(c.name for c in ly.each_cell() if c.name.startswith("leaf_") and c.name >= "leaf_01000" and c.parent_cells() > 0)
    name = leaves[0]
c = ly.cell(name)
if c is None:
    raise SystemExit("no cell %s in %s" % (name, a))
c.shapes(ly.layer(1, 0)).insert(pya.Box(0, 0, 2000, 3000))
opts = pya.SaveLayoutOptions()
opts.gds2_write_timestamps = False
ly.write(b, opts)
print("wrote %s: %s changed" % (b, name))
