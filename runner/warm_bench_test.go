//go:build unix

package runner

import (
	"context"
	"io"
	"os/exec"
	"testing"
)

// BenchmarkPythonBuild compares a build of a small Python project run on
// its own (a new python3 each time) with the same build in a warm worker,
// which recompiles the module lywatch names and runs the entry again.
func BenchmarkPythonBuild(b *testing.B) {
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("python3 not installed")
	}
	dir := b.TempDir()
	writeTree(&testing.T{}, dir, map[string]string{
		"build.py":        "import json, pkg.mod\nprint(json.dumps(pkg.mod.cells()))\n",
		"pkg/__init__.py": "",
		"pkg/mod.py":      "def cells():\n    return {'c%d' % i: i * i for i in range(100)}\n",
	})
	r := &Runner{Dir: dir, Stdout: io.Discard, Stderr: io.Discard, NoStatus: true}
	req := Request{Command: []string{"python3", "build.py"}, Reload: []string{"pkg.mod"}}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if res := r.Run(context.Background(), req); !res.OK() {
				b.Fatal(res)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		w := r.NewWorker([]string{dir})
		defer w.Close()
		w.Run(context.Background(), req) // the worker's start
		for b.Loop() {
			if res := w.Run(context.Background(), req); !res.OK() {
				b.Fatal(res)
			}
		}
	})
}
