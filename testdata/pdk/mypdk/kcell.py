"""The shared layout (like kfactory's global ``kcl``), ports and a small cell wrapper."""

import pya

from mypdk.layers import NAMES

DBU = 0.001  # database unit in micrometres: 1 nm

kcl = pya.Layout()
kcl.dbu = DBU


def layer(info):
    """Return the layer index in kcl for a (layer, datatype) pair, creating it once."""
    lay, datatype = info
    return kcl.layer(pya.LayerInfo(lay, datatype, NAMES.get(info, "")))


class Port:
    """An optical or electrical port: position in dbu, direction in degrees, width in dbu."""

    def __init__(self, name, x, y, angle, width, layer_info):
        self.name = name
        self.x = int(x)
        self.y = int(y)
        self.angle = int(angle) % 360
        self.width = int(width)
        self.layer_info = layer_info

    def transformed(self, trans):
        """Return a copy of the port moved by a pya.Trans."""
        p = trans * pya.Point(self.x, self.y)
        angle = -self.angle if trans.is_mirror() else self.angle
        angle += 90 * trans.angle  # Trans.angle counts quarter turns
        return Port(self.name, p.x, p.y, angle, self.width, self.layer_info)

    def __repr__(self):
        return "Port(%s, %d, %d, %d, w=%d)" % (self.name, self.x, self.y, self.angle, self.width)


class Instance:
    """A placed child cell and its ports in the parent's coordinates."""

    def __init__(self, child, trans, inst):
        self.child = child
        self.trans = trans
        self.inst = inst
        self.ports = {n: p.transformed(trans) for n, p in child.ports.items()}


class KCell:
    """A pya.Cell in kcl with ports, as kfactory's KCell (much reduced)."""

    def __init__(self, name="Unnamed_", cell=None):
        """Create a cell in kcl, or wrap the cell of kcl given."""
        self.cell = cell if cell is not None else kcl.create_cell(name)
        self.ports = {}
        self.info = {}

    @property
    def name(self):
        return self.cell.name

    def shapes(self, info):
        """Return the pya.Shapes of this cell on a (layer, datatype) pair."""
        return self.cell.shapes(layer(info))

    def add_port(self, name, x, y, angle, width, layer_info):
        """Add a port; coordinates in dbu."""
        self.ports[name] = Port(name, x, y, angle, width, layer_info)
        return self.ports[name]

    def create_inst(self, child, trans=None):
        """Place child (a KCell) with a pya.Trans and return the Instance."""
        trans = trans or pya.Trans()
        inst = self.cell.insert(pya.CellInstArray(child.cell.cell_index(), trans))
        return Instance(child, trans, inst)

    def connect(self, child, port, other, mirror=False):
        """Place child so that its port faces the Port other and touches it."""
        p = child.ports[port]
        angle = -p.angle if mirror else p.angle
        rot = ((other.angle + 180 - angle) % 360) // 90
        t0 = pya.Trans(rot, mirror, 0, 0)
        moved = t0 * pya.Point(p.x, p.y)
        trans = pya.Trans(rot, mirror, other.x - moved.x, other.y - moved.y)
        return self.create_inst(child, trans)
