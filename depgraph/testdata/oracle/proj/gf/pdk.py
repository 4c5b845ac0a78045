"""The active PDK and name lookups: get_component("bend_euler")."""

from gf.component import Component

_ACTIVE = []


class Pdk:
    """A PDK: its cells and cross-sections by name."""

    def __init__(self, name, cells, cross_sections):
        self.name = name
        self.cells = dict(cells)
        self.cross_sections = dict(cross_sections)

    def activate(self):
        _ACTIVE[:] = [self]

    def get_component(self, spec, **kwargs):
        if isinstance(spec, Component):
            return spec
        if isinstance(spec, dict):
            return self.get_component(spec["component"], **spec.get("settings", {}))
        if isinstance(spec, str):
            return self.cells[spec](**kwargs)
        return spec(**kwargs)

    def get_cross_section(self, spec, **kwargs):
        if isinstance(spec, str):
            return self.cross_sections[spec](**kwargs)
        return spec


def get_active_pdk():
    if not _ACTIVE:
        raise ValueError("no active PDK: activate one with Pdk.activate()")
    return _ACTIVE[0]


def get_component(spec, **kwargs):
    """Return a component from a name, a dict, a factory or a component."""
    return get_active_pdk().get_component(spec, **kwargs)


def get_cross_section(spec, **kwargs):
    return get_active_pdk().get_cross_section(spec, **kwargs)
