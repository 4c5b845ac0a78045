"""Plain geometry helpers on lists of points."""


def bbox_of(polygons):
    xs = [x for pts in polygons for x, _ in pts] or [0.0]
    ys = [y for pts in polygons for _, y in pts] or [0.0]
    return (min(xs), min(ys)), (max(xs), max(ys))


def move_points(pts, dx, dy):
    return [(x + dx, y + dy) for x, y in pts]


def rotate_points(pts, angle):
    turns = int(angle // 90) % 4
    for _ in range(turns):
        pts = [(-y, x) for x, y in pts]
    return pts


def mirror_points(pts):
    return [(x, -y) for x, y in pts]


def area_of(pts):
    s = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2
