package geomdiff

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/gds"
)

// xorScript is the KLayout batch script that XORs the cells.
//
//go:embed xor.py
var xorScript []byte

// XORScript returns the KLayout batch script Compare runs, for tests and
// for running it by hand (klayout -b -r xor.py -rd spec=SPEC.json).
func XORScript() []byte { return append([]byte(nil), xorScript...) }

// spec is what xor.py reads.
type spec struct {
	A         string            `json:"a"`
	B         string            `json:"b"`
	Pairs     []pair            `json:"pairs"`
	Renames   map[string]string `json:"renames"`
	Tolerance int               `json:"tolerance"`
	MaxItems  int               `json:"max_items"`
	Result    string            `json:"result"`
	RDB       string            `json:"rdb,omitempty"`
	XORLayout string            `json:"xor_layout,omitempty"`
	PNGDir    string            `json:"png_dir,omitempty"`
}

// scriptResult is what xor.py writes.
type scriptResult struct {
	DBU   float64 `json:"dbu"`
	Cells []struct {
		A      string `json:"a"`
		B      string `json:"b"`
		Layers []struct {
			Layer         int       `json:"layer"`
			Datatype      int       `json:"datatype"`
			Name          string    `json:"name"`
			Area          float64   `json:"area"`
			Added         float64   `json:"added"`
			Removed       float64   `json:"removed"`
			Polygons      int       `json:"polygons"`
			BBox          []float64 `json:"bbox"`
			LabelsAdded   int       `json:"labels_added"`
			LabelsRemoved int       `json:"labels_removed"`
		} `json:"layers"`
	} `json:"cells"`
	PNGs map[string]string `json:"pngs"`
}

// runXOR writes the cells to compare to small layouts, has KLayout XOR
// them and fills in res.
func runXOR(ctx context.Context, a, b string, la, lb *gds.Library, pairs []pair, diff *gds.DiffResult, o Options, res *Result) error {
	bin := o.KLayout
	if bin == "" {
		bin = "klayout"
	}
	bin, err := exec.LookPath(bin)
	if err != nil {
		return fmt.Errorf("the geometric comparison needs KLayout (%v): install it (Debian/Ubuntu: apt-get install klayout)", err)
	}
	dir, err := tempDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var rootsA, rootsB []string
	for _, p := range pairs {
		rootsA, rootsB = append(rootsA, p.A), append(rootsB, p.B)
	}
	s := spec{Pairs: pairs, Renames: map[string]string{}, Tolerance: o.Tolerance, MaxItems: o.MaxItems, Result: filepath.Join(dir, "result.json"), RDB: o.RDB}
	var errB error
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.B, errB = subsetFile(ctx, b, dir, lb, rootsB, "b")
	}()
	s.A, err = subsetFile(ctx, a, dir, la, rootsA, "a")
	<-done
	if err = errors.Join(err, errB); err != nil {
		return err
	}
	for _, c := range diff.Changed {
		if c.RenamedFrom != "" {
			s.Renames[c.RenamedFrom] = c.Name
		}
	}
	if o.Artifacts != "" {
		if err := os.MkdirAll(o.Artifacts, 0o755); err != nil {
			return fmt.Errorf("artifacts: %w", err)
		}
		s.XORLayout, s.PNGDir = filepath.Join(o.Artifacts, "xor.gds"), o.Artifacts
	}
	if s.RDB != "" {
		if err := os.MkdirAll(filepath.Dir(s.RDB), 0o755); err != nil {
			return fmt.Errorf("report database: %w", err)
		}
	}
	out, err := runScript(ctx, bin, dir, &s)
	if err != nil {
		return err
	}
	fill(res, out, pairs, s)
	return nil
}

// runScript runs xor.py on s and reads its result.
func runScript(ctx context.Context, bin, dir string, s *spec) (*scriptResult, error) {
	specPath, script := filepath.Join(dir, "spec.json"), filepath.Join(dir, "xor.py")
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(specPath, b, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(script, xorScript, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-b", "-r", script, "-rd", "spec="+specPath)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("KLayout's XOR (klayout -b -r xor.py) failed: %v\n%s", err, tail(output.String(), 4000))
	}
	raw, err := os.ReadFile(s.Result)
	if err != nil {
		return nil, fmt.Errorf("KLayout's XOR wrote no result (%v)\n%s", err, tail(output.String(), 4000))
	}
	var out scriptResult
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("KLayout's XOR result: %w", err)
	}
	return &out, nil
}

// fill turns the script's result into res.
func fill(res *Result, out *scriptResult, pairs []pair, s spec) {
	status := map[pair]string{}
	for _, p := range pairs {
		switch {
		case p.A == "":
			status[p] = "added"
		case p.B == "":
			status[p] = "removed"
		default:
			status[p] = "modified"
		}
	}
	for _, c := range out.Cells {
		p := pair{A: c.A, B: c.B}
		cell := Cell{Name: c.B, Status: status[p], Layers: []Layer{}}
		if cell.Name == "" {
			cell.Name = c.A
		}
		if c.A != "" && c.B != "" && c.A != c.B {
			cell.RenamedFrom = c.A
		}
		for _, l := range c.Layers {
			ld := Layer{Layer: l.Layer, Datatype: l.Datatype, Name: l.Name, Area: l.Area, Added: l.Added, Removed: l.Removed,
				Polygons: l.Polygons, LabelsAdded: l.LabelsAdded, LabelsRemoved: l.LabelsRemoved}
			if len(l.BBox) == 4 {
				ld.BBox = &Box{Left: l.BBox[0], Bottom: l.BBox[1], Right: l.BBox[2], Top: l.BBox[3]}
			}
			cell.Layers = append(cell.Layers, ld)
		}
		res.Cells = append(res.Cells, cell)
	}
	sort.Slice(res.Cells, func(i, j int) bool { return res.Cells[i].Name < res.Cells[j].Name })
	if s.RDB != "" {
		res.RDB = s.RDB
	}
	if s.XORLayout != "" && len(res.Cells) > 0 {
		res.XORLayout = s.XORLayout
		res.PNGs = out.PNGs
	}
}

// tail returns the last n bytes of s, cut at a line start.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "..." + s
}
