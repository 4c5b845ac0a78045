"""Cross-sections, looked up by name ("strip")."""


class CrossSection:
    def __init__(self, width, layer):
        self.width = width
        self.layer = layer

    def copy(self, width=None):
        return CrossSection(width or self.width, self.layer)


def strip(width=0.5):
    return CrossSection(width, (1, 0))


def rib(width=0.5):
    return CrossSection(width, (2, 0))


def metal(width=10.0):
    return CrossSection(width, (41, 0))


cross_sections = dict(strip=strip, rib=rib, metal=metal)
