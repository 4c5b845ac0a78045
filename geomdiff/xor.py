# The geometric difference of two layouts, computed by KLayout in batch mode:
#
#     klayout -b -r xor.py -rd spec=SPEC.json
#
# lywatch's geomdiff package writes SPEC.json and reads the result this
# script writes. "Same geometry" is KLayout's: the per-layer XOR of Region
# booleans. Only the cell pairs the spec names are compared (those whose
# hashes differ), each as the cell's own shapes plus the placements that
# differ, flattened; placements both sides share cancel out, and where they
# cover a difference it is not counted here (it belongs to the placed cell,
# compared on its own when it differs). Writes, as the spec asks, the result
# JSON, a report database (.lyrdb: one category per layer, one item per
# differing region), an XOR layout (per differing cell: old, new and XOR side
# by side) and a PNG of each differing cell rendered by a standalone
# LayoutView. On any error it prints the traceback and exits 1.
import json
import os
import sys
import time
import traceback

import pya

SCRATCH = "$$lywatch_scratch$$"


def read_layout(path):
    ly = pya.Layout()
    ly.read(path)
    return ly


def inst_key(ly, inst, rename):
    """A placement, with the child named as in B: child, transformation, array."""
    ci = inst.cell_inst
    name = ly.cell(ci.cell_index).name
    name = rename.get(name, name)
    key = [name, str(ci.cplx_trans) if ci.is_complex() else str(ci.trans)]
    if ci.is_regular_array():
        key += [str(ci.a), str(ci.b), ci.na, ci.nb]
    return tuple(key)


class Side(object):
    """One layout's scratch cells for a compared cell: X holds the cell's own
    shapes and the placements the other side lacks, U the shared ones."""

    def __init__(self, ly, cell):
        self.ly = ly
        self.cell = cell
        self.x = ly.create_cell(SCRATCH + "x")
        self.u = ly.create_cell(SCRATCH + "u")
        if cell is not None:
            for li in ly.layer_indexes():
                self.x.shapes(li).insert(cell.shapes(li))

    def keys(self, rename):
        out = {}
        if self.cell is None:
            return out
        for inst in self.cell.each_inst():
            k = inst_key(self.ly, inst, rename)
            out[k] = out.get(k, 0) + 1
        return out

    def split(self, rename, other):
        """Puts each placement into U when the other side has the same one
        (counted), else into X."""
        if self.cell is None:
            return
        left = dict(other)
        for inst in self.cell.each_inst():
            k = inst_key(self.ly, inst, rename)
            if left.get(k, 0) > 0:
                left[k] -= 1
                self.u.insert(inst.cell_inst)
            else:
                self.x.insert(inst.cell_inst)

    def region(self, li, scale):
        if li is None:
            return pya.Region()
        r = pya.Region(self.x.begin_shapes_rec(li))
        return r.transformed(scale) if scale is not None else r

    def shared(self, li, box, scale):
        if li is None or self.u.is_empty():
            return pya.Region()
        if scale is not None:
            box = box.transformed(scale.inverted())
        r = pya.Region(pya.RecursiveShapeIterator(self.ly, self.u, li, box))
        return r.transformed(scale) if scale is not None else r

    def labels(self, li, scale):
        out = {}
        if li is None:
            return out
        it = self.x.begin_shapes_rec(li)
        while not it.at_end():
            s = it.shape()
            if s.is_text():
                t = s.text.transformed(it.trans())
                if scale is not None:
                    t = t.transformed(scale)
                k = (t.string, t.x, t.y)
                out[k] = out.get(k, 0) + 1
            it.next()
        return out

    def drop(self):
        self.ly.delete_cell(self.u.cell_index())
        self.ly.delete_cell(self.x.cell_index())


def layer_map(la, lb):
    """Every (layer, datatype) of either layout, with its index in each."""
    seen = {}
    for ly, side in ((la, 0), (lb, 1)):
        for li in ly.layer_indexes():
            info = ly.get_info(li)
            key = (info.layer, info.datatype)
            e = seen.setdefault(key, {"name": "", "idx": [None, None]})
            e["idx"][side] = li
            if info.name and not e["name"]:
                e["name"] = info.name
    return [(k, seen[k]) for k in sorted(seen)]


def flat(r):
    out = pya.Region()
    out.insert(r)
    return out


def count_diff(a, b):
    more = 0
    for k, n in b.items():
        more += max(0, n - a.get(k, 0))
    return more


def compare_pair(la, lb, pair, rename, layers, tol, scale):
    ca = la.cell(pair["a"]) if pair["a"] else None
    cb = lb.cell(pair["b"]) if pair["b"] else None
    if pair["a"] and ca is None:
        raise ValueError("no cell %r in %s" % (pair["a"], spec["a"]))
    if pair["b"] and cb is None:
        raise ValueError("no cell %r in %s" % (pair["b"], spec["b"]))
    sa, sb = Side(la, ca), Side(lb, cb)
    try:
        ka, kb = sa.keys(rename), sb.keys({})
        sa.split(rename, kb)
        sb.split({}, ka)
        out = []
        for (l, d), e in layers:
            ia, ib = e["idx"]
            ra, rb = sa.region(ia, scale), sb.region(ib, scale)
            x = ra ^ rb
            if tol > 0 and not x.is_empty():
                x = x.sized(-tol).sized(tol)
            if not x.is_empty():
                box = x.bbox()
                x = x - sa.shared(ia, box, scale) - sb.shared(ib, box, scale)
            # A boolean with an empty side may hand back the other side as
            # is, still reading the scratch cells: copy it out before they go.
            x = flat(x).merged()
            la_, lb_ = sa.labels(ia, scale), sb.labels(ib, scale)
            plus, minus = count_diff(la_, lb_), count_diff(lb_, la_)
            if x.is_empty() and plus == 0 and minus == 0:
                continue
            out.append({"layer": l, "datatype": d, "name": e["name"], "x": x, "added": (x & rb).area(),
                        "removed": (x & ra).area(), "labels_added": plus, "labels_removed": minus})
        return out
    finally:
        sa.drop()
        sb.drop()


def flat_copy(src, dst_ly, dst_cell, layers, side, scale):
    for (l, d), e in layers:
        li = e["idx"][side]
        if li is None or src is None:
            continue
        r = pya.Region(src.begin_shapes_rec(li))
        if scale is not None and side == 0:
            r = r.transformed(scale)
        if not r.is_empty():
            dst_cell.shapes(dst_ly.layer(l, d)).insert(r)


def write_xor_layout(path, la, lb, cells, layers, scale):
    """Per differing cell a top cell NAME holding NAME_old, NAME_new and
    NAME_xor side by side, as gdsfactory's difftest shows them."""
    out = pya.Layout()
    out.dbu = lb.dbu
    tops = []
    for c in cells:
        name = c["b"] or c["a"]
        top = out.create_cell(name)
        parts = []
        for suffix, src, side in (("_old", la.cell(c["a"]) if c["a"] else None, 0),
                                  ("_new", lb.cell(c["b"]) if c["b"] else None, 1)):
            cell = out.create_cell(name + suffix)
            flat_copy(src, out, cell, layers, side, scale)
            parts.append(cell)
        xc = out.create_cell(name + "_xor")
        for ld in c["layers"]:
            xc.shapes(out.layer(ld["layer"], ld["datatype"])).insert(ld["x"])
        parts.append(xc)
        box = pya.Box()
        for p in parts:
            box += p.bbox()
        step = max(box.width(), 1) + max(box.width() // 10, 1)
        for i, p in enumerate(parts):
            top.insert(pya.CellInstArray(p.cell_index(), pya.Trans(i * step, 0)))
        tops.append(name)
    out.write(path)
    return tops


def render(path, tops, png_dir, size):
    lv = pya.LayoutView()
    lv.load_layout(path, True)
    lv.max_hier()
    files = {}
    for name in tops:
        cv = lv.active_cellview()
        cv.cell_name = name
        lv.max_hier()
        lv.zoom_fit()
        png = os.path.join(png_dir, safe_name(name) + ".png")
        lv.save_image_with_options(png, size, size * 2 // 3, 0, 0, 0, pya.DBox(), False)
        files[name] = png
    return files


def safe_name(name):
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def write_rdb(path, lb, cells, max_items, dbu):
    rdb = pya.ReportDatabase("lywatch diff")
    rdb.generator = "lywatch"
    rdb.description = "XOR of %s and %s" % (spec["a"], spec["b"])
    rdb.original_file = spec["b"]
    tops = [c.name for c in lb.top_cells()]
    rdb.top_cell_name = tops[0] if tops else ""
    cats = {}
    trans = pya.CplxTrans(dbu)
    counts = []
    for c in cells:
        rcell = rdb.create_cell(c["b"] or c["a"])
        for ld in c["layers"]:
            key = "%d/%d" % (ld["layer"], ld["datatype"])
            cat = cats.get(key)
            if cat is None:
                cat = rdb.create_category(key + (" " + ld["name"] if ld["name"] else ""))
                cat.description = "XOR on layer %s: one item per differing region" % key
                cats[key] = cat
            x = ld["x"]
            n = x.count()
            if n > max_items:
                keep = pya.Region()
                for i, p in enumerate(x.each()):
                    if i >= max_items:
                        break
                    keep.insert(p)
                x = keep
            if not x.is_empty():
                rdb.create_items(rcell.rdb_id(), cat.rdb_id(), trans, x)
            counts.append(min(n, max_items))
    rdb.save(path)


def main():
    t0 = time.time()
    la, lb = read_layout(spec["a"]), read_layout(spec["b"])
    t1 = time.time()
    scale = None
    if abs(la.dbu - lb.dbu) > 1e-12 * max(la.dbu, lb.dbu):
        scale = pya.ICplxTrans(la.dbu / lb.dbu)
    tol = int(spec.get("tolerance", 0))
    rename = spec.get("renames") or {}
    if scale is not None:
        rename = {}
    layers = layer_map(la, lb)
    cells = []
    for pair in spec["pairs"]:
        diffs = compare_pair(la, lb, pair, rename, layers, tol, scale)
        if diffs:
            cells.append({"a": pair["a"], "b": pair["b"], "layers": diffs})
    t2 = time.time()
    dbu = lb.dbu
    res = {"dbu": dbu, "read_seconds": t1 - t0, "xor_seconds": t2 - t1, "cells": []}
    for c in cells:
        rc = {"a": c["a"], "b": c["b"], "layers": []}
        for ld in c["layers"]:
            x = ld["x"]
            b = x.bbox()
            rc["layers"].append({
                "layer": ld["layer"], "datatype": ld["datatype"], "name": ld["name"],
                "area": x.area() * dbu * dbu, "added": ld["added"] * dbu * dbu,
                "removed": ld["removed"] * dbu * dbu, "polygons": x.count(),
                "bbox": [b.left * dbu, b.bottom * dbu, b.right * dbu, b.top * dbu] if not b.empty() else None,
                "labels_added": ld["labels_added"], "labels_removed": ld["labels_removed"],
            })
        res["cells"].append(rc)
    if spec.get("rdb"):
        write_rdb(spec["rdb"], lb, cells, int(spec.get("max_items") or 1000), dbu)
    if spec.get("xor_layout") and cells:
        tops = write_xor_layout(spec["xor_layout"], la, lb, cells, layers, scale)
        if spec.get("png_dir"):
            res["pngs"] = render(spec["xor_layout"], tops, spec["png_dir"], int(spec.get("png_size") or 800))
    with open(spec["result"] + ".tmp", "w") as f:
        json.dump(res, f)
    os.replace(spec["result"] + ".tmp", spec["result"])


failed = False
try:
    spec = json.load(open(globals()["spec"]))
    main()
except SystemExit:
    raise
except BaseException:
    traceback.print_exc()
    sys.stderr.flush()
    failed = True
if failed:
    # Outside the except block: KLayout 0.28 exits 0 on sys.exit() in a handler.
    sys.exit(1)
