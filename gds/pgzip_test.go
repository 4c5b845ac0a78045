package gds

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os/exec"
	"testing"

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
