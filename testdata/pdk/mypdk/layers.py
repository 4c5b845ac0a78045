"""Layer map of the example PDK: (layer, datatype) pairs and their names."""

WG = (1, 0)  # silicon waveguide core
SLAB = (2, 0)  # shallow-etch slab around tapers and the MMI
HEATER = (47, 0)  # titanium-nitride heater strip
METAL = (41, 0)  # routing metal and pads
PAD_OPEN = (46, 0)  # passivation opening over pads
TEXT = (66, 0)  # labels
FLOORPLAN = (99, 0)  # chip outline

NAMES = {
    WG: "WG",
    SLAB: "SLAB",
    HEATER: "HEATER",
    METAL: "METAL",
    PAD_OPEN: "PAD_OPEN",
    TEXT: "TEXT",
    FLOORPLAN: "FLOORPLAN",
}
