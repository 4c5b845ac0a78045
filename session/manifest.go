package session

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"time"
)

// manifestFormat names the manifest's sealed file format.
const manifestFormat = "lywatch-session-manifest"

// Manifest is the plain data saved for one build target after a successful
// build. Save fills Version, Written, Target, Root and Layout; the caller fills
// the rest. Paths are slash-separated and relative to the project root.
type Manifest struct {
	// Version is the lywatch version that wrote the manifest.
	Version string `json:"lywatch_version"`
	// Written is when Save wrote the manifest (UTC). Files whose
	// modification time is not older than Written are rehashed by Validate
	// (git's rule for racily clean files).
	Written time.Time `json:"written"`
	// Target is the build target the manifest belongs to.
	Target string `json:"target"`
	// Root is the project root relative to the session directory
	// (slash-separated, "../.." for the default build/session). A session
	// whose recorded root does not lead back to the root it is opened with is
	// foreign and treated as empty; a checkout moved as a whole keeps it.
	Root string `json:"root"`
	// Files are the tracked source files with their hashes and stat cache,
	// sorted by Path.
	Files []File `json:"-"`
	// Functions maps a function's qualified name to the hash of its source.
	Functions map[string]string `json:"functions,omitempty"`
	// Factories maps a factory's name to its hash and defining file.
	Factories map[string]Factory `json:"factories,omitempty"`
	// Cells are the layout's cells with their hashes and factory.
	Cells []Cell `json:"cells,omitempty"`
	// Graph is the dependency graph as its owner exported it, kept opaque.
	// Save writes it to a file of its own (GraphFile) so that Load, which
	// must be fast, does not read it; LoadGraph does, on demand.
	Graph json.RawMessage `json:"-"`
	// GraphFile describes the stored graph: a content-named file beside
	// the manifest, checked against this hash when read.
	GraphFile Layout `json:"graph_file,omitzero"`
	// Layout describes the stored cells.gds.gz.
	Layout Layout `json:"layout"`
	// Meta holds free-form extra data for the caller (build command, timing).
	Meta map[string]string `json:"meta,omitempty"`
}

// File is one tracked source file: its content hash and the stat data that
// lets Validate skip rehashing it when nothing changed.
type File struct {
	// Path is relative to the project root, slash-separated.
	Path string
	// SHA256 is the hex SHA-256 of the file's content.
	SHA256 string
	// Size, MtimeNS and Inode are the stat cache; Size -1 marks an entry
	// whose stat data must not be trusted (the file is always rehashed).
	Size    int64
	MtimeNS int64
	Inode   uint64
}

// Factory is one layout factory as the dependency graph saw it.
type Factory struct {
	// Hash is the hash of the factory's source and what it depends on.
	Hash string `json:"hash"`
	// File is the defining file, relative to the root.
	File string `json:"file,omitempty"`
}

// Cell is one cell of the stored layout.
type Cell struct {
	Name string `json:"name"`
	// Local hashes the cell's own content, Deep also its descendants'.
	Local string `json:"local"`
	Deep  string `json:"deep"`
	// Factory is the factory that made the cell, "" if unknown.
	Factory string `json:"factory,omitempty"`
	// Children are the names of the cells it references, sorted.
	Children []string `json:"children,omitempty"`
}

// Layout describes a stored, gzip-compressed layout file.
type Layout struct {
	// File is the file name inside the target's directory.
	File string `json:"file"`
	// SHA256 and Size are those of the stored (compressed) file.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Source is the SHA-256 of the layout file as it was given to Save (the
	// build's output), so a caller can tell whether that file still holds
	// the stored layout without reading the stored one.
	Source string `json:"source_sha256,omitempty"`
}

// EncodeManifest returns the sealed on-disk form of m, without an owner's
// mark: a Store treats such a manifest as foreign (only the Store's own
// writes carry the user's mark).
func EncodeManifest(m *Manifest) ([]byte, error) { return encodeManifest(m, nil) }

// encodeManifest is EncodeManifest marked with key.
func encodeManifest(m *Manifest, key []byte) ([]byte, error) {
	table, err := appendFileTable(make([]byte, 0, 120*len(m.Files)), m.Files)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return sealTable(manifestFormat, m, table, key)
}

// DecodeManifest checks and decodes a manifest written by EncodeManifest
// (or by a Store). It never panics; any damage, an unknown version or
// inconsistent content (absolute or escaping paths, unsorted or duplicate
// files) is an error. It does not check the owner's mark: a Store's Load
// does.
func DecodeManifest(b []byte) (*Manifest, error) {
	m, _, err := decodeManifest(b)
	return m, err
}

// decodeManifest is DecodeManifest returning the owner's mark to verify.
func decodeManifest(b []byte) (*Manifest, marked, error) {
	var m Manifest
	table, mark, err := unsealTable(manifestFormat, b, &m)
	if err != nil {
		return nil, mark, fmt.Errorf("manifest: %w", err)
	}
	if m.Files, err = parseFileTable(table); err != nil {
		return nil, mark, fmt.Errorf("manifest: %w", err)
	}
	if err := m.check(); err != nil {
		return nil, mark, fmt.Errorf("manifest: %w", err)
	}
	return &m, mark, nil
}

// check reports content that no Save could have written.
func (m *Manifest) check() error {
	if m.Root == "" || path.IsAbs(m.Root) || filepath.IsAbs(m.Root) {
		return fmt.Errorf("root %q is not a relative path", m.Root)
	}
	for i, f := range m.Files {
		if !trackedPath(f.Path) {
			return fmt.Errorf("file %d: path %q is not a clean root-relative path", i, f.Path)
		}
		if i > 0 && m.Files[i-1].Path >= f.Path {
			return fmt.Errorf("file %d: %q is out of order or repeated", i, f.Path)
		}
	}
	for name, f := range m.Factories {
		if f.File != "" && !trackedPath(f.File) {
			return fmt.Errorf("factory %q: path %q is not a clean root-relative path", name, f.File)
		}
	}
	if m.GraphFile.File != "" && !localName(m.GraphFile.File) {
		return fmt.Errorf("graph file %q is not a plain file name", m.GraphFile.File)
	}
	if m.Layout.File != "" && !localName(m.Layout.File) {
		return fmt.Errorf("layout file %q is not a plain file name", m.Layout.File)
	}
	return nil
}

// localPath reports whether p is a clean, slash-separated, root-relative path.
func localPath(p string) bool {
	return p != "" && filepath.IsLocal(filepath.FromSlash(p)) && path.Clean(p) == p
}

// trackedPath reports whether p is a clean, slash-separated path relative
// to the root: below it, or above it ("../other/pdk/x.py") for sources the
// project imports from another checkout (an editable install). Tracked
// files are only ever read, to hash them.
func trackedPath(p string) bool {
	return p != "" && !path.IsAbs(p) && !filepath.IsAbs(filepath.FromSlash(p)) && path.Clean(p) == p
}

// localName reports whether n is a plain file name.
func localName(n string) bool {
	return localPath(n) && path.Base(n) == n
}

// normalize sorts the manifest's lists so equal content encodes equally.
func (m *Manifest) normalize() {
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	sort.Slice(m.Cells, func(i, j int) bool { return m.Cells[i].Name < m.Cells[j].Name })
}

// Cell returns the named cell, or nil.
func (m *Manifest) Cell(name string) *Cell {
	for i := range m.Cells {
		if m.Cells[i].Name == name {
			return &m.Cells[i]
		}
	}
	return nil
}

// File returns the tracked file with the root-relative path p, or nil.
func (m *Manifest) File(p string) *File {
	i := sort.Search(len(m.Files), func(i int) bool { return m.Files[i].Path >= p })
	if i < len(m.Files) && m.Files[i].Path == p {
		return &m.Files[i]
	}
	return nil
}

// Clone returns a deep copy of m.
func (m *Manifest) Clone() *Manifest {
	c := *m
	c.Files = append([]File(nil), m.Files...)
	c.Cells = make([]Cell, len(m.Cells))
	for i, cell := range m.Cells {
		cell.Children = append([]string(nil), cell.Children...)
		c.Cells[i] = cell
	}
	c.Functions = cloneMap(m.Functions)
	c.Factories = cloneMap(m.Factories)
	c.Meta = cloneMap(m.Meta)
	c.Graph = append(json.RawMessage(nil), m.Graph...)
	return &c
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	c := make(map[string]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
