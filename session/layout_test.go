//go:build unix

// The layout tests read real GDS files and run KLayout through
// internal/testsupport, which is Unix-only.

package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// realGDS returns the bytes of a GDS file another tool wrote.
func realGDS(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testsupport.SharedGDSDir(t), "gdspy_photonics.gds"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSaveLayoutStoresTheBytesGiven: SaveLayout records the SHA-256 of the
// very bytes it was given, and its cells.gds.gz decompresses to exactly
// them, in one gzip member or several.
func TestSaveLayoutStoresTheBytesGiven(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	small := realGDS(t)
	big := bytes.Repeat(small, 1+2*gzipChunk/len(small)) // three pieces compressed in parallel
	for _, layout := range [][]byte{small, big} {
		m := testManifest(t, root, srcPaths(), 1)
		if err := s.SaveLayout("chip", m, layout); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(layout)
		if m.Layout.Source != hex.EncodeToString(sum[:]) {
			t.Errorf("%d bytes: Source %s is not the SHA-256 of the bytes given", len(layout), m.Layout.Source)
		}
		if got := gunzipFile(t, s.LayoutPath("chip")); got != string(layout) {
			t.Errorf("%d bytes: cells.gds.gz holds %d other bytes", len(layout), len(got))
		}
		got, err := s.LayoutBytes(context.Background(), "chip", m)
		if err != nil || !bytes.Equal(got, layout) {
			t.Errorf("%d bytes: LayoutBytes = %d bytes, %v", len(layout), len(got), err)
		}
	}
}

// TestRestoreLayoutChecksBeforeWriting: RestoreLayout writes the stored
// layout only after it matched the manifest and read as GDS; a damaged or
// non-GDS layout leaves the destination as it was.
func TestRestoreLayoutChecksBeforeWriting(t *testing.T) {
	ctx := context.Background()
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	layout := realGDS(t)
	if err := s.SaveLayout("chip", testManifest(t, root, srcPaths(), 1), layout); err != nil {
		t.Fatal(err)
	}
	m, err := s.Load("chip")
	if err != nil || m == nil {
		t.Fatal(m, err)
	}
	dst := filepath.Join(t.TempDir(), "out", "chip.gds")
	if err := s.RestoreLayout(ctx, "chip", m, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, layout) {
		t.Fatal("restored bytes differ from the saved ones")
	}

	// A layout swapped after Load (same size, other bytes) is not written.
	writeFile(t, dst, "the user's own file")
	cells, _ := os.ReadFile(s.LayoutPath("chip"))
	cells[len(cells)/2] ^= 0xff
	writeFile(t, s.LayoutPath("chip"), string(cells))
	err = s.RestoreLayout(ctx, "chip", m, dst)
	if !IsWarning(err) || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("restore of a damaged layout: %v", err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "the user's own file" {
		t.Error("a damaged layout was written")
	}

	// A saved layout that is not GDS (with a manifest that matches it) is
	// not written either.
	if err := s.SaveLayout("text", testManifest(t, root, srcPaths(), 1), []byte("echo hello\n")); err != nil {
		t.Fatal(err)
	}
	m, _ = s.Load("text")
	err = s.RestoreLayout(ctx, "text", m, dst)
	if !IsWarning(err) || !strings.Contains(err.Error(), "does not read as GDS") {
		t.Errorf("restore of a layout that is not GDS: %v", err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "the user's own file" {
		t.Error("a layout that is not GDS was written")
	}
}

// TestRestoreGzipOutput: a build that writes .gds.gz gets its gzip bytes
// back, not the GDS inside.
func TestRestoreGzipOutput(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	gz, err := compress(realGDS(t), 1, gzipChunk)
	if err != nil {
		t.Fatal(err)
	}
	m := testManifest(t, root, srcPaths(), 1)
	if err := s.SaveLayout("chip", m, gz); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "chip.gds.gz")
	if err := s.RestoreLayout(context.Background(), "chip", m, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, gz) {
		t.Error("a .gds.gz output was not restored byte for byte")
	}
}

// TestKLayoutReadsPiecewiseGzip: KLayout reads a layout compressed in
// pieces (several gzip members) as the GDS itself.
func TestKLayoutReadsPiecewiseGzip(t *testing.T) {
	gdsPath := filepath.Join(testsupport.SharedGDSDir(t), "gdspy_photonics.gds")
	raw, err := os.ReadFile(gdsPath)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := compress(raw, 1, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(gz, []byte(gzipMagic+"\x08")); n < 5 {
		t.Fatalf("%d gzip members; want several", n)
	}
	gzPath := filepath.Join(t.TempDir(), "pieces.gds.gz")
	writeFile(t, gzPath, string(gz))
	out := testsupport.Batch(t, `
import pya
a = pya.Layout(); a.read(gds)
b = pya.Layout(); b.read(gz)
print("same" if pya.LayoutDiff().compare(a, b, 0) else "differ", b.cells())
`, map[string]string{"gds": gdsPath, "gz": gzPath})
	if !strings.HasPrefix(strings.TrimSpace(out), "same") {
		t.Errorf("KLayout: %s", out)
	}
}

// TestLayoutBytesRefusesWrongManifest: LayoutBytes needs the target's own
// manifest.
func TestLayoutBytesRefusesWrongManifest(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	if err := s.SaveLayout("chip", testManifest(t, root, srcPaths(), 1), realGDS(t)); err != nil {
		t.Fatal(err)
	}
	m, _ := s.Load("chip")
	for _, bad := range []*Manifest{nil, {Target: "other", Layout: m.Layout}} {
		if _, err := s.LayoutBytes(context.Background(), "chip", bad); err == nil || errors.Is(err, ErrForeign) {
			t.Errorf("LayoutBytes with manifest %+v: %v", bad, err)
		}
	}
}

// TestReaderDuringSavesSeesWholeStates is what `lywatch --once` does while
// a live lywatch holds the lock: a read-only store loads the target and
// its layout while another store saves in a loop. Every read must give a
// manifest and the very layout that manifest was saved with (never one of
// another save, never a half-written file), and nearly every read must
// succeed.
func TestReaderDuringSavesSeesWholeStates(t *testing.T) {
	root := newRoot(t, srcFiles)
	var layouts [][]byte
	for _, p := range testsupport.SharedGDSFiles(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		layouts = append(layouts, b)
	}
	w := openStore(t, root, Options{HistoryFrames: 5})
	save := func(gen int) error {
		return w.SaveLayout("chip", testManifest(t, root, srcPaths(), gen), layouts[gen%len(layouts)])
	}
	if err := save(0); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(DefaultDir(root), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error)
	go func() {
		for gen := 1; ; gen++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := save(gen); err != nil {
				done <- err
				return
			}
		}
	}()
	ctx := context.Background()
	reads, failed := 0, 0
	for reads < 300 {
		m, err := ro.Load("chip")
		if err != nil || m == nil {
			failed++
			t.Logf("read %d: Load: %v", reads, err)
			reads++
			continue
		}
		b, err := ro.LayoutBytes(ctx, "chip", m)
		reads++
		if err != nil {
			failed++
			t.Logf("read %d: LayoutBytes: %v", reads, err)
			continue
		}
		var gen int
		fmt.Sscan(m.Meta["gen"], &gen)
		if !bytes.Equal(b, layouts[gen%len(layouts)]) {
			t.Fatalf("read %d: the layout read is not the one saved with generation %d", reads, gen)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if failed > reads/10 {
		t.Errorf("%d of %d reads failed", failed, reads)
	}
}
