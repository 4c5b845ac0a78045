package depgraph

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// genPDK writes a synthetic PDK of nfiles modules with nfuncs functions
// each (half of them @cell factories) into dir: 20 packages, every module
// importing helpers from three modules before it.
func genPDK(tb testing.TB, dir string, nfiles, nfuncs int) {
	tb.Helper()
	const npkg = 20
	for p := 0; p < npkg; p++ {
		pd := filepath.Join(dir, "gen", fmt.Sprintf("pkg%02d", p))
		if err := os.MkdirAll(pd, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pd, "__init__.py"), []byte("\"\"\"Generated package.\"\"\"\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "gen", "__init__.py"), nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < nfiles; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "\"\"\"Generated module %d.\"\"\"\n\nimport math\n\nfrom gen.cell import cell\n", i)
		for _, j := range []int{i - 1, i - 7, i - 31} {
			if j >= 0 {
				fmt.Fprintf(&b, "from gen.pkg%02d.m%04d import f%04d_0, f%04d_1 as alias%d, WIDTH as W%d\n", j%npkg, j, j, j, j, j)
			}
		}
		fmt.Fprintf(&b, "\nWIDTH = %d.5  # um\nNAMES = {\"a\": 1, 'b': [2, 3]}\n\n", i%7)
		for f := 0; f < nfuncs; f++ {
			if f%2 == 0 {
				b.WriteString("\n@cell(check_ports=True)\n")
			} else {
				b.WriteString("\n\n")
			}
			fmt.Fprintf(&b, "def f%04d_%d(width: float = WIDTH, length: float = %d.0, *, name: str = \"x\") -> dict:\n", i, f, f)
			fmt.Fprintf(&b, "    \"\"\"Function %d of module %d: a docstring\n    over two lines.\"\"\"\n", f, i)
			b.WriteString("    total = 0.0\n    for k in range(int(length)):\n        total += math.sin(k * width)  # comment\n")
			if f > 0 {
				fmt.Fprintf(&b, "    total += f%04d_%d(width=width)[\"total\"]\n", i, f-1)
			}
			if i > 0 && f == 3 {
				fmt.Fprintf(&b, "    total += f%04d_0()[\"total\"] + alias%d()[\"total\"] * W%d\n", i-1, i-1, i-1)
			}
			fmt.Fprintf(&b, "    label = f\"{name}_{width:.3f}_{NAMES['a']}\"\n")
			b.WriteString("    return {\n        \"total\": total,\n        \"label\": label,\n    }\n")
		}
		p := filepath.Join(dir, "gen", fmt.Sprintf("pkg%02d", i%npkg), fmt.Sprintf("m%04d.py", i))
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cellSrc := "def cell(_f=None, **kw):\n    return _f if _f else (lambda f: f)\n"
	if err := os.WriteFile(filepath.Join(dir, "gen", "cell.py"), []byte(cellSrc), 0o644); err != nil {
		tb.Fatal(err)
	}
}

var benchPDK struct {
	once sync.Once
	dir  string
}

// benchDir generates the 2,000-file, 20,000-function PDK once per run,
// under LYWATCH_BENCH_DIR when set (so scripts can reuse it).
func benchDir(b *testing.B) string {
	benchPDK.once.Do(func() {
		dir := os.Getenv("LYWATCH_BENCH_DIR")
		if dir == "" {
			d, err := os.MkdirTemp("", "lywatch-bench-")
			if err != nil {
				b.Fatal(err)
			}
			dir = d
		}
		genPDK(b, dir, 2000, 10)
		benchPDK.dir = dir
	})
	return benchPDK.dir
}

// cpuTime is the process's user+system CPU time: the benchmarks report it
// per operation too, since wall time on a shared machine includes waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkScanCold(b *testing.B) {
	dir := benchDir(b)
	b.ResetTimer()
	start := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op") }()
	for b.Loop() {
		g, err := Scan(context.Background(), Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if len(g.files) != 2022 {
			b.Fatalf("%d files", len(g.files))
		}
	}
}

// BenchmarkUpdateOneFile edits one function of one module (alternating
// two versions) and measures the rescan plus the invalidation.
func BenchmarkUpdateOneFile(b *testing.B) {
	inv := benchEdits(b, filepath.Join("gen", "pkg10", "m1010.py"), func(orig string) string {
		return strings.Replace(orig, "    total = 0.0\n", "    total = 1.0\n", 1)
	})
	b.ReportMetric(float64(len(inv.Functions)), "invalidated")
}

// benchEdits scans the benchmark PDK, then writes edit's version of the
// file rel and its original in turn, timing each Update (the CPU time too)
// and returning the last invalidation.
func benchEdits(b *testing.B, rel string, edit func(orig string) string) *Invalidation {
	dir := benchDir(b)
	g, err := Scan(context.Background(), Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, rel)
	orig, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	defer os.WriteFile(p, orig, 0o644)
	versions := [][]byte{[]byte(edit(string(orig))), orig}
	n := 0
	var inv *Invalidation
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := os.WriteFile(p, versions[n%2], 0o644); err != nil {
			b.Fatal(err)
		}
		n++
		b.StartTimer()
		start := cpuTime()
		if inv, err = g.Update(context.Background(), []string{p}); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - start
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	return inv
}

func BenchmarkTokenize(b *testing.B) {
	dir := benchDir(b)
	src, err := os.ReadFile(filepath.Join(dir, "gen", "pkg10", "m1010.py"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ScanSource("m.py", "m", src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateNewFunction adds a function to one module (and removes it
// again): the file's interface changes, so its importers are relinked.
func BenchmarkUpdateNewFunction(b *testing.B) {
	benchEdits(b, filepath.Join("gen", "pkg11", "m1011.py"), func(orig string) string {
		return orig + "\n\ndef added_helper(x):\n    return x * 2\n"
	})
}
