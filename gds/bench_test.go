package gds

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// benchLibrary makes a synthetic layout of about size bytes in many cells.
func benchLibrary(cells, shapesPerCell int) *Library {
	rng := rand.New(rand.NewPCG(1, 2))
	lib := &Library{Name: "BENCH", UserUnit: 1e-3, DBU: 1e-9}
	for i := 0; i < cells; i++ {
		c := &Cell{Name: "leaf_" + string(rune('a'+i%26)) + strconv.Itoa(i)}
		for k := 0; k < shapesPerCell; k++ {
			x, y := rng.Int32N(200000), rng.Int32N(200000)
			var pts []Point
			if k%2 == 0 {
				w, h := rng.Int32N(5000)+50, rng.Int32N(5000)+50
				pts = []Point{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}
			} else {
				n := 8 + rng.IntN(32)
				for v := 0; v < n; v++ {
					pts = append(pts, Point{x + rng.Int32N(3000), y + rng.Int32N(3000)})
				}
				pts = append(pts, pts[0])
			}
			c.Shapes = append(c.Shapes, Shape{Kind: Boundary, Layer: int16(k % 6), XY: pts})
		}
		lib.Cells = append(lib.Cells, c)
	}
	top := &Cell{Name: "TOP"}
	for _, c := range lib.Cells {
		top.Refs = append(top.Refs, Ref{Name: c.Name, Origin: Point{rng.Int32N(1e6), 0}})
	}
	lib.Cells = append(lib.Cells, top)
	return lib
}

func benchStream(b *testing.B) []byte {
	if f := os.Getenv("LYWATCH_BENCH_GDS"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	var buf bytes.Buffer
	if err := Write(&buf, benchLibrary(500, 400)); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadHash reads and hashes a layout the way `gds info` does. Set
// LYWATCH_BENCH_GDS to a file (bench/gds/run.sh makes one) to use it.
func BenchmarkReadHash(b *testing.B) {
	data := benchStream(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		lib, err := ReadContext(context.Background(), bytes.NewReader(data), ReadOptions{HashOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := lib.Hashes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead reads a whole layout into memory.
func BenchmarkRead(b *testing.B) {
	data := benchStream(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteGzip writes a layout as .gds.gz.
func BenchmarkWriteGzip(b *testing.B) {
	data := benchStream(b)
	lib, err := Read(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if err := writeGzip(io.Discard, lib, 1); err != nil {
			b.Fatal(err)
		}
	}
}
