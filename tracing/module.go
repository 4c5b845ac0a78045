package tracing

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed python/lywatch_trace/__init__.py
var python embed.FS

// ModuleName is the Python module's import name.
const ModuleName = "lywatch_trace"

// ModuleSource returns the source of the Python module lywatch_trace.
func ModuleSource() []byte {
	b, err := python.ReadFile("python/" + ModuleName + "/__init__.py")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	return b
}

// WriteModule writes the Python package lywatch_trace into dir (which
// then belongs on PYTHONPATH).
func WriteModule(dir string) error {
	return fs.WalkDir(python, "python", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("python", filepath.FromSlash(p))
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := python.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("tracing: write the Python module: %w", err)
		}
		return nil
	})
}
