package testsupport

import (
	"fmt"
	"os"
	"path/filepath"
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

// skipRecorder is a testing.TB whose Fatalf and Skipf record instead of
// ending the test; as the real ones end it, only the first counts.
type skipRecorder struct {
	testing.TB
	fatal, skip string
}

func (r *skipRecorder) Helper() {}
func (r *skipRecorder) Fatalf(f string, args ...any) {
	if r.skip == "" {
		r.fatal = fmt.Sprintf(f, args...)
	}
}

func (r *skipRecorder) Skipf(f string, args ...any) {
	if r.fatal == "" {
		r.skip = fmt.Sprintf(f, args...)
	}
}

// TestLookPathOrSkip: a missing program skips the test, or fails it when
// RequireKLayoutEnv is set (as in CI); a program found is returned.
func TestLookPathOrSkip(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "python3"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, require string
		want, fatal, skip   bool
	}{
		{"found", bin, "1", true, false, false},
		{"missing, CI", t.TempDir(), "1", false, true, false},
		{"missing, not CI", t.TempDir(), "", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			t.Setenv(RequireKLayoutEnv, tt.require)
			r := &skipRecorder{TB: t}
			got := Python3(r)
			if (got == filepath.Join(bin, "python3")) != tt.want || (r.fatal != "") != tt.fatal || (r.skip != "") != tt.skip {
				t.Errorf("Python3 = %q, fatal %q, skip %q; want found %v, fatal %v, skip %v", got, r.fatal, r.skip, tt.want, tt.fatal, tt.skip)
			}
			if tt.fatal && !strings.Contains(r.fatal, "apt-get install python3") {
				t.Errorf("the failure %q does not say what to install", r.fatal)
			}
		})
	}
}
