__all__ = ["taper_from_csv"]

from pathlib import Path

import gf

PATH = Path(__file__).parent


@gf.cell_with_module_name
def taper_from_csv(name="taper_strip"):
    rows = gf.import_csv(PATH / "data" / "taper_strip.csv")
    c = gf.Component()
    c.add_polygon([(x, w / 2) for x, w in rows] + [(x, -w / 2) for x, w in reversed(rows)], (1, 0))
    c.add_port("o1", (rows[0][0], 0), rows[0][1], 180)
    c.add_port("o2", (rows[-1][0], 0), rows[-1][1], 0)
    return c
