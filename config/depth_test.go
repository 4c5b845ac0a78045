package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNestingLine(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	tests := []struct {
		name string
		src  string
		want int
	}{
		{"settings", "[tool.lywatch]\nwatch = [\"pdk\"]\n[[tool.lywatch.targets]]\nname = 'a'\nentry = [\"a.py\"]\n", 0},
		{"at the limit", "a = " + deep("[", "]", MaxNesting), 0},
		{"arrays too deep", "\n\na = " + deep("[", "]", MaxNesting+1), 3},
		{"inline tables too deep", "x = 1\na = " + deep("{b = ", "}", MaxNesting+1), 2},
		{"brackets in a basic string", `a = "` + strings.Repeat("[", 100) + `"`, 0},
		{"escaped quote in a basic string", `a = "\"` + strings.Repeat("{", 100) + `"`, 0},
		{"brackets in a literal string", "a = '" + strings.Repeat("[", 100) + "'", 0},
		{"brackets in a multi-line string", "a = \"\"\"\n" + strings.Repeat("[", 100) + "\n\"\"\"\nb = " + deep("[", "]", MaxNesting+1), 4},
		{"brackets in a multi-line literal", "a = '''" + strings.Repeat("{", 100) + "'''", 0},
		{"brackets in a comment", "# " + strings.Repeat("[", 100) + "\na = 1", 0},
		{"unterminated string", "a = \"" + strings.Repeat("[", 100), 0},
	}
	for _, tt := range tests {
		if got := nestingLine(tt.src, MaxNesting); got != tt.want {
			t.Errorf("%s: line %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestDeepFileIsAnError: a file nested past the limit is a FileError naming
// its line, before the TOML parser sees it.
func TestDeepFileIsAnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lywatch.toml")
	src := "debounce = \"5ms\"\na = " + strings.Repeat("{b = ", 5000) + "1" + strings.Repeat("}", 5000) + "\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Default().LoadFile(p)
	if err == nil || !strings.Contains(err.Error(), "lywatch.toml:2: arrays or inline tables nested deeper than 32 levels") {
		t.Fatalf("error %v", err)
	}
}
