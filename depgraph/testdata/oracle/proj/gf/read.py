"""Read components and tables from files (stand-ins for GDS, CSV and YAML readers)."""

from gf.component import Component
from gf.pdk import get_component


def import_gds(path):
    with open(path, "rb") as f:
        data = f.read()
    c = Component("gds")
    c.add_polygon([(0, 0), (len(data), 0), (len(data), 1)], (1, 0))
    return c


def import_csv(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append([float(v) for v in line.split(",")])
    return rows


def from_yaml(path):
    """A YAML subset: `name: factory` lines, one instance each."""
    c = Component("yaml")
    with open(path) as f:
        for line in f:
            if ":" in line:
                name, factory = (s.strip() for s in line.split(":", 1))
                ref = c << get_component(factory)
                ref.move((len(c.references) * 10.0, 0.0))
    return c
