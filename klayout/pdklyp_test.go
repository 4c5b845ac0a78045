package klayout_test

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// TestExamplePDKLayerProperties checks that the example PDK's .lyp names
// every layer its layers.py names, with the same name (read with Python
// from the PDK itself).
func TestExamplePDKLayerProperties(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	pdk := filepath.Join(testsupport.Root(t), "testdata", "pdk")
	out, err := exec.Command(py, "-B", "-c", `
import sys
sys.path.insert(0, sys.argv[1])
from mypdk.layers import NAMES
for (l, d), n in sorted(NAMES.items()):
    print("%d/%d@1 %s" % (l, d, n))
`, pdk).CombinedOutput()
	if err != nil {
		t.Fatalf("layers.py: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(pdk, "mypdk", "layers.lyp"))
	if err != nil {
		t.Fatal(err)
	}
	var lyp struct {
		Props []struct {
			Source string `xml:"source"`
			Name   string `xml:"name"`
		} `xml:"properties"`
	}
	if err := xml.Unmarshal(b, &lyp); err != nil {
		t.Fatalf("layers.lyp: %v", err)
	}
	var got []string
	for _, p := range lyp.Props {
		got = append(got, p.Source+" "+p.Name)
	}
	slices.Sort(got)
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("layers.lyp names %v, layers.py %v", got, want)
	}
}
