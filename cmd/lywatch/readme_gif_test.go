package main

import (
	"image/gif"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestReadmeGIF: the README's animation is the one `make readme-gif`
// draws (scripts/readme-gif.sh: a first build and one build per edit,
// replayed into docs/watching.gif), and it is there. Drawing it again
// takes KLayout and some seconds, and its bytes depend on KLayout's
// version: `make readme-gif` does that, CI checks its shape.
func TestReadmeGIF(t *testing.T) {
	root := testsupport.Root(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "](docs/watching.gif)") {
		t.Error("the README does not show docs/watching.gif")
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil || !regexp.MustCompile(`(?m)^readme-gif:\n\t@\./scripts/readme-gif\.sh docs/watching\.gif$`).Match(mk) {
		t.Errorf("the Makefile has no readme-gif target running scripts/readme-gif.sh (%v)", err)
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "readme-gif.sh"))
	if err != nil {
		t.Fatal(err)
	}
	builds := 1 + len(regexp.MustCompile(`(?m)^edit `).FindAll(script, -1))
	f, err := os.Open(filepath.Join(root, "docs", "watching.gif"))
	if err != nil {
		t.Fatalf("%v: run make readme-gif", err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != builds {
		t.Errorf("docs/watching.gif has %d frames; the script builds %d layouts: run make readme-gif", len(g.Image), builds)
	}
}
