"""Checks the server macro's rule for following a renamed cell with plain
Python: replacement() and follow_path() on a stand-in layout. Run by
TestFollowRuleInPython: python3 follow_test.py server.py"""

import sys

import pyastub  # beside this file

srv = pyastub.load_server(sys.argv[1])

R = srv.replacement
cases = [
    ("mmi1x2_W0p5_L10_WM2p5", ["mmi1x2_W0p5_L10_WM6", "straight_L10"], {}, "mmi1x2_W0p5_L10_WM6"),
    ("mmi1x2_W0p5_WM2p5", ["mmi1x2_W0p6_WM2p5", "mmi2x2_W0p5_WM2p5"], {}, "mmi1x2_W0p6_WM2p5"),
    ("straight_L10", ["straight_heater_metal_L10", "straight_L12"], {}, "straight_L12"),
    ("bend_R5", ["taper_L3"], {}, None),
    ("a_1", ["b_2", "c_3"], {"a_1": "mmi", "c_3": "mmi"}, "c_3"),
    ("a_1", ["a_2"], {"a_1": "mmi", "a_2": "taper"}, None),
    ("a_1", [], {}, None),
]
for old, cands, facs, want in cases:
    got = R(old, cands, facs)
    assert got == want, (old, cands, facs, got, want)


class Cell:
    def __init__(self, ly, name, children):
        self.ly, self.name, self.children = ly, name, children

    def each_child_cell(self):
        return [self.ly.index[c] for c in self.children]


class Layout:
    def __init__(self, cells):
        self.cells = [Cell(self, n, ch) for n, ch in cells]
        self.index = {c.name: i for i, c in enumerate(self.cells)}

    def cell(self, i):
        return self.cells[i]

    def cell_by_name(self, n):
        return self.index[n]

    def each_top_cell(self):
        placed = set(c for cell in self.cells for c in cell.children)
        return [i for i, c in enumerate(self.cells) if c.name not in placed]


# chip > mzi_L10 > mmi1x2_WM2p5: the mmi and the mzi are renamed.
before_children = [{"mzi_L10", "pad"}, {"mmi1x2_WM2p5", "straight_L10"}, set()]
ly = Layout([("chip", ["mzi_L12", "pad"]), ("mzi_L12", ["mmi1x2_WM6", "straight_L10"]),
             ("mmi1x2_WM6", []), ("straight_L10", []), ("pad", [])])
path, follows = srv.follow_path(ly, ["chip", "mzi_L10", "mmi1x2_WM2p5"], before_children, {"chip"}, {})
assert path == ["chip", "mzi_L12", "mmi1x2_WM6"], path
assert [f["kind"] for f in follows] == ["followed", "followed"], follows
# the mmi gone with nothing like it: the parent.
ly = Layout([("chip", ["mzi_L10"]), ("mzi_L10", ["straight_L10"]), ("straight_L10", [])])
path, follows = srv.follow_path(ly, ["chip", "mzi_L10", "mmi1x2_WM2p5"], before_children, {"chip"}, {})
assert path == ["chip", "mzi_L10"] and follows == [{"from": "mmi1x2_WM2p5", "to": "mzi_L10", "kind": "parent"}], (path, follows)
# nothing removed: nothing followed.
path, follows = srv.follow_path(ly, ["chip", "mzi_L10"], before_children, {"chip"}, {})
assert path == ["chip", "mzi_L10"] and follows == [], (path, follows)
# the top renamed, the only top cell now.
ly = Layout([("chip2", ["x"]), ("x", [])])
path, follows = srv.follow_path(ly, ["chip"], [set()], {"chip"}, {})
assert path == ["chip2"] and follows[0]["to"] == "chip2", (path, follows)
print("ok")
