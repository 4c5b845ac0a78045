# lywatch's renderer: draws layouts with KLayout's own renderer, in batch
# mode (klayout -b -r render.py -rd job=JOB.json), one PNG per layout.
# The job: {"frames": [gds...], "pngs": [png...], "box": [l, b, r, t] or
# null, "cell": "", "width": W, "height": H, "lyp": "" , "scratch": DIR}.
# Without a box, the union of the frames' boxes (plus 4% margin) is shown;
# without layer properties, the union of the frames' layers gets
# KLayout's default colours once, so a layer keeps its colour throughout.
import json
import os
import sys

import pya


def shown_cell(ly, name):
    if name:
        c = ly.cell(name)
        if c is None:
            raise ValueError("no cell %r in the layout" % name)
        return c
    tops = ly.top_cells()
    if not tops:
        return None
    return max(tops, key=lambda c: c.dbbox().area())


def survey(job):
    """The union of the frames' boxes and layers."""
    box, layers = pya.DBox(), set()
    for path in job["frames"]:
        ly = pya.Layout()
        ly.read(path)
        c = shown_cell(ly, job.get("cell"))
        if c is not None:
            box += c.dbbox()
        for i in ly.layer_indexes():
            info = ly.get_info(i)
            layers.add((info.layer, info.datatype, info.name))
    return box, sorted(layers)


def union_lyp(view, layers, scratch):
    """KLayout's default layer properties for the union of the layers."""
    ly = pya.Layout()
    c = ly.create_cell("LYWATCH_LAYERS")
    for l, d, n in layers:
        idx = ly.layer(pya.LayerInfo(l, d, n) if n else pya.LayerInfo(l, d))
        c.shapes(idx).insert(pya.Box(0, 0, 1, 1))
    gds = os.path.join(scratch, "layers.gds")
    ly.write(gds)
    view.load_layout(gds, False)
    lyp = os.path.join(scratch, "layers.lyp")
    view.save_layer_props(lyp)
    return lyp


def main(job):
    view = pya.LayoutView()
    view.set_config("background-color", "#ffffff")
    view.set_config("grid-visible", "false")
    box, layers = survey(job)
    if job.get("box"):
        box = pya.DBox(*job["box"])
    elif not box.empty():
        m = max(box.width(), box.height()) * 0.04
        box = box.enlarged(m, m)
    lyp = job.get("lyp") or union_lyp(view, layers, job["scratch"])
    w, h = job["width"], job["height"]
    for i, (path, png) in enumerate(zip(job["frames"], job["pngs"])):
        ci = view.load_layout(path, False)
        view.load_layer_props(lyp)
        if job.get("cell"):
            view.cellview(ci).cell_name = job["cell"]
        view.max_hier()
        target = box if not box.empty() else pya.DBox()
        view.save_image_with_options(png, w, h, 0, 1, 0, target, False)
        print("rendered %d %s" % (i + 1, png))
        sys.stdout.flush()


failed = False
try:
    with open(job) as f:
        main(json.load(f))
except BaseException as exc:  # noqa: BLE001 - any failure is reported, then exit 1
    sys.stderr.write("render: %s: %s\n" % (type(exc).__name__, exc))
    failed = True
if failed:
    sys.exit(1)
