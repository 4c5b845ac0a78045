package gds

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

func TestParallelGzip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, size := range []int{0, 1, 1000, 3<<20 + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.IntN(16)) // compressible
		}
		var out bytes.Buffer
		z, err := newParallelGzip(&out, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		z.blockSize = 256 << 10
		for p := data; len(p) > 0; {
			n := min(len(p), 70000)
			z.Write(p[:n])
			p = p[n:]
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: read back %d bytes, %v", size, len(got), err)
		}
		if gz, err := exec.LookPath("gzip"); err == nil {
			cmd := exec.Command(gz, "-t")
			cmd.Stdin = bytes.NewReader(out.Bytes())
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("size %d: gzip -t: %v %s", size, err, msg)
			}
		}
	}
}

// TestWriteGzipErrorEndsGoroutines checks that a write that fails (here a
// HashOnly library, which has no shapes to write) leaves no compressor
// goroutines behind.
func TestWriteGzipErrorEndsGoroutines(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, twoCells()); err != nil {
		t.Fatal(err)
	}
	lib, err := ReadContext(t.Context(), &buf, ReadOptions{HashOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	const n = 20
	for range n {
		if err := writeGzip(io.Discard, lib, 1); !errors.Is(err, ErrHashOnly) {
			t.Fatalf("err = %v, want ErrHashOnly", err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() >= before+n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before %d failed writes, %d after", before, n, runtime.NumGoroutine())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
