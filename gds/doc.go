// Package gds reads, writes, hashes and compares GDSII stream files, the
// layout format of IC and photonic design.
//
// # Reading
//
// ReadFile and Read take a .gds stream or a gzip-compressed one (.gds.gz,
// recognised by its magic bytes). The reader streams: it reads blocks, cuts
// them at cell boundaries and parses and hashes the cells on all cores. It
// knows every record type of the format; the elements BOUNDARY, PATH, SREF,
// AREF, TEXT, NODE and BOX with all their optional records (ELFLAGS, PLEX,
// PATHTYPE, WIDTH, BGNEXTN, ENDEXTN, PRESENTATION, STRANS, MAG, ANGLE,
// COLROW) and properties (PROPATTR/PROPVALUE); consecutive XY records of one
// element are joined; trailing NUL padding of strings is stripped; record
// lengths of 0x8000 and more are read as unsigned. Records it does not
// expect are skipped and reported in Library.Warnings. Malformed input gives
// a *FormatError naming the byte offset (in the uncompressed stream) and the
// record, never a panic. A cycle in the hierarchy is an error too.
//
// A reference (SREF or AREF) to a cell the file never defines reads as
// KLayout reads it: as a ghost cell, an empty cell of that name with
// Cell.Ghost set, added after the defined cells, with a Warning (whose Ghost
// field names it) at its first reference. Library.Ghosts lists them. Real
// layouts do this: a design that places standard cells of a PDK kept in
// another file. The writer leaves ghost cells out, as KLayout's does.
//
// With ReadOptions.HashOnly the shapes are hashed as they are read and then
// dropped, so that reading a large layout for its hashes and counts (as
// `lywatch gds info` does) takes far less memory than the file's size.
//
// KLayout's $$$CONTEXT_INFO$$$ cell is not a user cell: it is kept in
// Library.Context and its metadata decoded into Cell.Meta and Library.Meta
// (see context.go for the format).
//
// # Writing
//
// Write and WriteFile mirror the reader: what was read is written back,
// record for record (XY records split at 8191 points); float64 converts to the
// 8-byte real exactly; a name ending in .gz is written gzip-compressed with
// klauspost/compress.
//
// # Hashes
//
// Library.Hashes gives every cell two SHA-256 hashes, as hex. A ghost
// cell's local and deep hash are both the SHA-256 of "lywatch/gds ghost
// v1\n" and its name: stable, and unlike any defined cell's, so that a
// parent's deep hash changes when the definition appears.
//
// Each shape has a 128-bit digest of its canonical form: its kind; for
// boundaries and boxes the polygon with the closing point and repeated
// points dropped, turned counterclockwise and started at its smallest point
// (by x, then y); for paths the path type, width, extensions (path type 4
// only) and points in order; for texts the string, presentation, path type,
// width, transformation and position; for nodes the points; then ELFLAGS
// and PLEX and the properties sorted by attribute and value. A
// transformation is normalised to its reflection, absolute-magnification and
// absolute-angle flags, magnification (1 when absent) and angle in [0, 360)
// rounded to 1e-9.
//
// The shapes digest of a cell is the SHA-256 of its shapes as a sorted
// multiset grouped by (layer, datatype): for each group in ascending order
// its layer, datatype and count, then the sorted shape digests.
//
// An instance has a 128-bit digest of the child (see below), its origin,
// normalised transformation, array parameters (for each axis the count and
// whole displacement, an axis of count 1 having none, the two axes in a fixed
// order; a 1x1 array is a single instance), ELFLAGS, PLEX and properties.
//
//   - Local hash: SHA-256 of "lywatch/gds local v1\n", the shapes digest, the
//     number of instances and their sorted digests, each instance naming its
//     child by name.
//   - Deep hash: the same with "deep" and each instance naming its child by
//     the child's deep hash (a Merkle hash computed bottom-up), so it changes
//     when anything below the cell changes, and a renamed child changes only
//     the parent's local hash.
//
// The order of shapes and instances, XY chunking, timestamps, the library's
// name and the cell's own name change no hash; a moved vertex, a changed
// property or a changed array does. Cell metadata (Cell.Meta) is not hashed.
//
// # Diff
//
// Diff compares two libraries cell by cell, matched by name: cells added,
// removed and changed, and per changed cell and (layer, datatype) the number
// of shapes added and removed (by multiset difference of shape digests), and
// whether its instances changed. A cell that is a ghost on one side and
// defined on the other is changed. Database units are compared with a
// relative tolerance of 1e-9, since writers differ in the last bits of the
// 8-byte real.
//
// Parameterised cells are named by their parameters (kfactory's
// mmi1x2_W0p5_..._WM2p5 becomes mmi1x2_..._WM6 after an edit). Diff pairs a
// cell only in A with one only in B when both come from the same factory
// (DiffOptions.Factory; by default kfactory's metadata, FactoryFromMeta) and
// the pairing is unambiguous: the factory has one such cell on each side,
// or the two are the only ones of the factory placed at the same place in
// the hierarchy (same parent, same instance transformation). The pair is
// one changed cell, CellDiff.RenamedFrom naming its old name; ambiguous
// ones stay added and removed.
package gds
