__all__ = ["compass", "rectangle"]

import gf


@gf.cell_with_module_name(check_ports=False)
def compass(size=(4.0, 2.0), layer=(1, 0)):
    w, h = size
    c = gf.Component()
    c.add_polygon([(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)], layer)
    for name, center, angle in (("e1", (-w / 2, 0), 180), ("e3", (w / 2, 0), 0)):
        c.add_port(name, center, h, angle, layer)
    return c


@gf.cell_with_module_name(check_ports=False)
def rectangle(size=(4.0, 2.0), layer=(1, 0), centered=False):
    c = gf.Component()
    ref = c << compass(size=size, layer=layer)
    if not centered:
        ref.move((size[0] / 2, size[1] / 2))
    return c
