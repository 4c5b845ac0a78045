"""Component, ComponentReference and Port: classes with many methods, as gdsfactory's."""

from gf import geometry


class Port:
    """An optical or electrical port."""

    def __init__(self, name, center, width, orientation, layer):
        self.name = name
        self.center = center
        self.width = width
        self.orientation = orientation
        self.layer = layer

    @property
    def x(self):
        return self.center[0]

    @property
    def y(self):
        return self.center[1]

    def moved(self, dx, dy):
        return Port(self.name, (self.x + dx, self.y + dy), self.width, self.orientation, self.layer)

    def rotated(self, angle):
        (x, y), = geometry.rotate_points([self.center], angle)
        return Port(self.name, (x, y), self.width, (self.orientation + angle) % 360, self.layer)

    def flipped(self):
        return Port(self.name, self.center, self.width, (self.orientation + 180) % 360, self.layer)

    def __repr__(self):
        return "Port(%s, %s)" % (self.name, self.center)


class ComponentReference:
    """A placed component."""

    def __init__(self, parent):
        self.parent = parent
        self.origin = (0.0, 0.0)
        self.angle = 0

    @property
    def ports(self):
        out = {}
        for name, p in self.parent.ports.items():
            out[name] = p.rotated(self.angle).moved(*self.origin)
        return out

    def move(self, d):
        self.origin = (self.origin[0] + d[0], self.origin[1] + d[1])
        return self

    def rotate(self, angle):
        self.angle = (self.angle + angle) % 360
        return self

    def connect(self, port, other):
        mine = self.ports[port]
        return self.move((other.x - mine.x, other.y - mine.y))


class ComponentBase:
    """What every component has: polygons, ports, references, labels."""

    def __init__(self, name="Unnamed"):
        self.name = name
        self.polygons = {}
        self.ports = {}
        self.references = []
        self.labels = []
        self.info = {}

    def add_polygon(self, points, layer):
        self.polygons.setdefault(layer, []).append(list(points))
        return self

    def add_port(self, name, center, width, orientation, layer=(1, 0)):
        self.ports[name] = Port(name, center, width, orientation, layer)
        return self.ports[name]

    def add_ports(self, ports, prefix=""):
        for p in ports:
            self.add_port(prefix + p.name, p.center, p.width, p.orientation, p.layer)

    def add_ref(self, other):
        ref = ComponentReference(other)
        self.references.append(ref)
        return ref

    def __lshift__(self, other):
        return self.add_ref(other)

    def add_label(self, text, position=(0.0, 0.0)):
        self.labels.append((text, position))

    def get_polygons(self):
        return [pts for layer in sorted(self.polygons) for pts in self.polygons[layer]]

    @property
    def bbox(self):
        return geometry.bbox_of(self.get_polygons())

    @property
    def xsize(self):
        (x0, _), (x1, _) = self.bbox
        return x1 - x0

    @property
    def ysize(self):
        (_, y0), (_, y1) = self.bbox
        return y1 - y0

    def area(self):
        return sum(geometry.area_of(p) for p in self.get_polygons())

    def move(self, d):
        for layer, polys in self.polygons.items():
            self.polygons[layer] = [geometry.move_points(p, d[0], d[1]) for p in polys]
        return self

    def rotate(self, angle):
        for layer, polys in self.polygons.items():
            self.polygons[layer] = [geometry.rotate_points(p, angle) for p in polys]
        return self

    def mirror(self):
        for layer, polys in self.polygons.items():
            self.polygons[layer] = [geometry.mirror_points(p) for p in polys]
        return self

    def remove_layers(self, layers):
        for layer in layers:
            self.polygons.pop(layer, None)
        return self

    def extract(self, layers):
        c = type(self)(self.name + "_extract")
        for layer in layers:
            for p in self.polygons.get(layer, []):
                c.add_polygon(p, layer)
        return c

    def flatten(self):
        for ref in self.references:
            for layer, polys in ref.parent.polygons.items():
                for p in polys:
                    self.add_polygon(geometry.move_points(p, *ref.origin), layer)
        self.references = []
        return self

    def add_padding(self, default=1.0, layers=((99, 0),)):
        from gf.components.shapes import rectangle

        (x0, y0), (x1, y1) = self.bbox
        for layer in layers:
            pad = rectangle(size=(x1 - x0 + 2 * default, y1 - y0 + 2 * default), layer=layer)
            self.add_ref(pad).move((x0 - default, y0 - default))
        return self

    def copy(self):
        c = type(self)(self.name)
        for layer, polys in self.polygons.items():
            for p in polys:
                c.add_polygon(p, layer)
        c.ports = dict(self.ports)
        return c


class Component(ComponentBase):
    """A component, as factories make them."""

    def __init__(self, name="Unnamed"):
        super().__init__(name)
        self.settings = {}

    def absorb(self, ref):
        self.references.remove(ref)
        for layer, polys in ref.parent.polygons.items():
            for p in polys:
                self.add_polygon(geometry.move_points(p, *ref.origin), layer)
        return self

    def auto_rename_ports(self):
        self.ports = {"o%d" % (i + 1): p for i, p in enumerate(sorted(self.ports.values(), key=lambda p: p.center))}
        return self

    def write_gds(self, path):
        with open(path, "w") as f:
            f.write(repr(self.get_polygons()))
