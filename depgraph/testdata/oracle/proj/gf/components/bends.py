__all__ = ["bend_circular", "bend_euler"]

import gf


def _arc(radius, n):
    return [(radius * i / n, radius * (i / n) ** 2) for i in range(n + 1)]


@gf.cell_with_module_name
def bend_euler(radius=10.0, width=0.5):
    c = gf.Component()
    c.add_polygon(_arc(radius, 8), (1, 0))
    c.add_port("o1", (0, 0), width, 180)
    c.add_port("o2", (radius, radius), width, 90)
    return c


@gf.cell_with_module_name
def bend_circular(radius=10.0, width=0.5):
    c = gf.Component()
    c.add_polygon(_arc(radius, 16), (1, 0))
    c.add_port("o1", (0, 0), width, 180)
    c.add_port("o2", (radius, radius), width, 90)
    return c
