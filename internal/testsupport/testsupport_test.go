package testsupport

import (
	"strings"
	"testing"
)

func TestBatchRunsPython(t *testing.T) {
	out := Batch(t, "import pya\nprint('v=' + pya.Application.instance().version())\nprint(x)\n", map[string]string{"x": "hello"})
	if !strings.Contains(out, "v=KLayout") || !strings.HasSuffix(out, "hello") {
		t.Fatalf("unexpected output %q", out)
	}
}

func TestSharedGDSFiles(t *testing.T) {
	if files := SharedGDSFiles(t); len(files) < 10 {
		t.Fatalf("found %d shared GDS files, want 10", len(files))
	}
}
