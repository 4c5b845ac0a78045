package gds

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// roundTrip writes lib and reads it back.
func roundTrip(t testing.TB, lib *Library) *Library {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, lib); err != nil {
		t.Fatal(err)
	}
	back, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// roundTripFile writes lib to path and reads it back.
func roundTripFile(t testing.TB, lib *Library, path string) *Library {
	t.Helper()
	if err := WriteFile(path, lib); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func mustHashes(t testing.TB, lib *Library) map[string]CellHash {
	t.Helper()
	h, err := lib.Hashes()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRoundTripSharedFiles(t *testing.T) {
	for _, path := range testsupport.SharedGDSFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			lib, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := mustHashes(t, lib)
			back := roundTrip(t, lib)
			if got := mustHashes(t, back); !maps.Equal(got, want) {
				t.Errorf("hashes differ after a round trip")
			}
			// Writing what we read again gives the same bytes.
			var a, b bytes.Buffer
			if err := Write(&a, lib); err != nil {
				t.Fatal(err)
			}
			if err := Write(&b, back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("second write differs from the first")
			}
			for _, c := range lib.Cells {
				if !maps.Equal(c.Meta, back.Cell(c.Name).Meta) {
					t.Errorf("cell %s: meta %v, after round trip %v", c.Name, c.Meta, back.Cell(c.Name).Meta)
				}
			}
		})
	}
}

// TestHashOnlyMatchesFullRead checks that a HashOnly read (with and without
// KeepDigests, in blocks small enough to cut the file many times) tells
// callers everything a full read does but the shapes: the same cells in the
// same order, hashes, shape and instance counts, children, top cells,
// metadata, units and warnings.
func TestHashOnlyMatchesFullRead(t *testing.T) {
	synth := filepath.Join(t.TempDir(), "synthetic.gds")
	if err := WriteFile(synth, benchLibrary(40, 50)); err != nil {
		t.Fatal(err)
	}
	for _, path := range append(testsupport.SharedGDSFiles(t), synth) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			full, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := mustHashes(t, full)
			for _, opts := range []ReadOptions{{HashOnly: true, BlockSize: 1024}, {HashOnly: true, KeepDigests: true, BlockSize: 1024}} {
				ho, err := ReadFileContext(t.Context(), path, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got := mustHashes(t, ho); !maps.Equal(got, want) {
					t.Errorf("%+v: hashes differ", opts)
				}
				if !slices.Equal(ho.TopCells(), full.TopCells()) || !maps.Equal(ho.Meta, full.Meta) ||
					ho.DBU != full.DBU || ho.UserUnit != full.UserUnit || !slices.Equal(ho.Warnings, full.Warnings) {
					t.Errorf("%+v: top cells %v, meta %v, units %g %g, warnings %v; full read %v, %v, %g %g, %v", opts,
						ho.TopCells(), ho.Meta, ho.UserUnit, ho.DBU, ho.Warnings,
						full.TopCells(), full.Meta, full.UserUnit, full.DBU, full.Warnings)
				}
				if len(ho.Cells) != len(full.Cells) {
					t.Fatalf("%+v: %d cells, full read %d", opts, len(ho.Cells), len(full.Cells))
				}
				for i, c := range full.Cells {
					h := ho.Cells[i]
					if h.Name != c.Name || h.NumShapes() != c.NumShapes() || len(h.Refs) != len(c.Refs) ||
						!slices.Equal(h.Children(), c.Children()) || !maps.Equal(h.Meta, c.Meta) {
						t.Errorf("%+v: cell %d is %s with %d shapes, %d refs, children %v, meta %v; full read %s, %d, %d, %v, %v",
							opts, i, h.Name, h.NumShapes(), len(h.Refs), h.Children(), h.Meta,
							c.Name, c.NumShapes(), len(c.Refs), c.Children(), c.Meta)
					}
					if h.Shapes != nil {
						t.Errorf("%+v: cell %s kept its shapes", opts, h.Name)
					}
				}
			}
		})
	}
}

func TestWriteFileGzip(t *testing.T) {
	dir := testsupport.SharedGDSDir(t)
	lib, err := ReadFile(filepath.Join(dir, "gdspy_photonics.gds"))
	if err != nil {
		t.Fatal(err)
	}
	back := roundTripFile(t, lib, filepath.Join(t.TempDir(), "x.gds.gz"))
	if !maps.Equal(mustHashes(t, back), mustHashes(t, lib)) {
		t.Error("hashes differ after .gds.gz round trip")
	}
}

func TestSubset(t *testing.T) {
	dir := testsupport.SharedGDSDir(t)
	lib, err := ReadFile(filepath.Join(dir, "gdsfactory_mzi2x2.gds"))
	if err != nil {
		t.Fatal(err)
	}
	top := lib.TopCells()[0]
	all, err := lib.Subset(top)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Cells) != len(lib.Cells) {
		t.Errorf("subset of the top cell has %d cells, want %d", len(all.Cells), len(lib.Cells))
	}
	leaf := ""
	for _, c := range lib.Cells {
		if len(c.Refs) == 0 {
			leaf = c.Name
			break
		}
	}
	one, err := lib.Subset(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Cells) != 1 || one.Cells[0].Name != leaf {
		t.Errorf("subset of leaf %s: %d cells", leaf, len(one.Cells))
	}
	h := mustHashes(t, roundTrip(t, one))
	if h[leaf] != mustHashes(t, lib)[leaf] {
		t.Error("leaf hash changed in the subset")
	}
	if _, err := lib.Subset("nope"); err == nil {
		t.Error("subset of a missing cell: no error")
	}
}

func TestDiffWithDigestsOnly(t *testing.T) {
	dir := testsupport.SharedGDSDir(t)
	a := filepath.Join(dir, "gdsfactory_mzi2x2.gds")
	lib, err := ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	lib.Cell("mmi1x2_be5e636a").Shapes[0].XY[1].X += 5
	b := filepath.Join(t.TempDir(), "b.gds")
	if err := WriteFile(b, lib); err != nil {
		t.Fatal(err)
	}
	full := func(p string) *Library {
		l, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	small := func(p string) *Library {
		l, err := ReadFileContext(t.Context(), p, ReadOptions{HashOnly: true, KeepDigests: true})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	want := Diff(full(a), full(b))
	got := Diff(small(a), small(b))
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) || want.Equal {
		t.Errorf("digest-only diff %+v, full diff %+v", got, want)
	}
	if !Diff(small(a), small(a)).Equal {
		t.Error("a file differs from itself")
	}
}
