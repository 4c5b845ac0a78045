// Package geomdiff tells where and by how much two layouts differ
// geometrically, the way KLayout sees it.
//
// Compare reads both layouts and compares them cell by cell by their
// canonical hashes (package gds), so that only the cells whose own content
// differs are looked at further; renamed parameterised cells are paired
// through the factory that made them (gds.DiffOptions.Factory). Those cells
// alone, with what they place, are written to small layouts and handed to
// KLayout in batch mode (xor.py), which XORs them layer by layer with
// Region booleans, within a tolerance in database units: what "the same
// geometry" means is KLayout's. The result says, per cell and layer, the
// XOR area, the area only in A and only in B, the number of polygons and
// the bounding box of the difference.
//
// On request KLayout also writes a report database (.lyrdb, one category per
// layer, one item per differing region, for KLayout's marker browser), an
// XOR layout with each differing cell's old, new and XOR geometry side by
// side, and a PNG of each, rendered by a standalone LayoutView.
package geomdiff
