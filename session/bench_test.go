package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchProject makes n source files of about 3 kB, aged an hour.
func benchProject(b *testing.B, n int) (string, []string) {
	b.Helper()
	root := b.TempDir()
	old := time.Now().Add(-time.Hour)
	paths := make([]string, n)
	for i := range n {
		rel := fmt.Sprintf("pdk/m%03d/cell_%05d.py", i/100, i)
		p := filepath.Join(root, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		body := fmt.Sprintf("def cell_%d(): pass\n", i) + strings.Repeat("# padding\n", 300)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
		os.Chtimes(p, old, old)
		paths[i] = rel
	}
	return root, paths
}

// BenchmarkValidate10k is the start-up check with nothing changed: stat
// only.
func BenchmarkValidate10k(b *testing.B) {
	root, paths := benchProject(b, 10000)
	files, err := HashFiles(context.Background(), root, paths)
	if err != nil {
		b.Fatal(err)
	}
	m := &Manifest{Files: files, Written: time.Now()}
	m.normalize()
	b.ResetTimer()
	for b.Loop() {
		v, err := Validate(context.Background(), root, m)
		if err != nil || !v.Valid() || v.Rehashed != 0 {
			b.Fatalf("%+v %v", v, err)
		}
	}
}

// BenchmarkDecodeManifest10k decodes a manifest of 10,000 files.
func BenchmarkDecodeManifest10k(b *testing.B) {
	m := &Manifest{Root: "../..", Written: time.Now()}
	for i := range 10000 {
		m.Files = append(m.Files, File{Path: fmt.Sprintf("pdk/m%03d/cell_%05d.py", i/100, i), SHA256: strings.Repeat("ab", 32), Size: 3000, MtimeNS: 1700000000123456789, Inode: 123456})
	}
	data, err := EncodeManifest(m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeManifest(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashFiles10k hashes 10,000 files of about 3 kB.
func BenchmarkHashFiles10k(b *testing.B) {
	root, paths := benchProject(b, 10000)
	b.SetBytes(3000 * 10000)
	for b.Loop() {
		if _, err := HashFiles(context.Background(), root, paths); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLayout is a 64 MiB layout-like stream (GDS-sized records of varied
// bytes) that compresses about as a real layout does.
func benchLayout() []byte {
	b := make([]byte, 0, 64<<20)
	for i := 0; len(b) < 64<<20; i++ {
		b = fmt.Appendf(b, "\x00\x2c\x10\x03%08x%08x%08x%08x", i*7919, i*104729, i%977, i/13)
	}
	return b
}

// BenchmarkLoadChecksLayout is what Load (and so `session show`) pays to
// check a target's stored layout against its manifest: the size, then the
// SHA-256 of cells.gds.gz.
func BenchmarkLoadChecksLayout(b *testing.B) {
	root := b.TempDir()
	os.MkdirAll(filepath.Join(root, ".git"), 0o755)
	s, err := Open(DefaultDir(root), Options{Root: root, HistoryFrames: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := &Manifest{}
	if err := s.SaveLayout("chip", m, benchLayout()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if m, err := s.Load("chip"); m == nil || err != nil {
			b.Fatal(m, err)
		}
	}
	b.ReportMetric(float64(m.Layout.Size)/(1<<20), "MiB-stored")
}

// BenchmarkCompress compares the save's compression of a 64 MiB layout in
// pieces on every core with one gzip stream.
func BenchmarkCompress(b *testing.B) {
	layout := benchLayout()
	for _, c := range []struct {
		name  string
		chunk int
	}{{"pieces", gzipChunk}, {"one-stream", len(layout)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(layout)))
			for b.Loop() {
				if _, err := compress(layout, 1, c.chunk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
