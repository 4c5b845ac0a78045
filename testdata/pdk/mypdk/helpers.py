"""Geometry helpers shared by the component modules."""

import math

import pya

from mypdk.kcell import DBU

ARC_POINTS_PER_90 = 64  # resolution of circular bends


def to_dbu(um):
    """Return a length in micrometres as an integer number of database units."""
    return int(round(um / DBU))


def arc_points(radius, width, angle=90.0, n=ARC_POINTS_PER_90):
    """Return a pya.Polygon of a circular bend, in dbu.

    The bend starts at (0, 0) heading +x and turns left by angle degrees around
    the centre (0, radius).
    """
    steps = max(2, int(n * angle / 90.0))
    outer, inner = [], []
    for i in range(steps + 1):
        a = math.radians(angle * i / steps) - math.pi / 2
        for r, pts in ((radius + width / 2.0, outer), (radius - width / 2.0, inner)):
            pts.append(pya.Point(to_dbu(r * math.cos(a)), to_dbu(radius + r * math.sin(a))))
    return pya.Polygon(outer + inner[::-1])


def taper_polygon(width1, width2, length):
    """Return a pya.Polygon of a linear taper from width1 at x=0 to width2 at x=length."""
    l, w1, w2 = to_dbu(length), to_dbu(width1), to_dbu(width2)
    return pya.Polygon([
        pya.Point(0, -w1 // 2), pya.Point(0, w1 // 2),
        pya.Point(l, w2 // 2), pya.Point(l, -w2 // 2),
    ])


def box(x0, y0, x1, y1):
    """Return a pya.Box from micrometre corners."""
    return pya.Box(to_dbu(x0), to_dbu(y0), to_dbu(x1), to_dbu(y1))


def text(label, x, y, size=10.0):
    """Return a pya.Text at (x, y) micrometres with a height of size micrometres."""
    t = pya.Text(label, pya.Trans(to_dbu(x), to_dbu(y)))
    t.size = to_dbu(size)
    return t
