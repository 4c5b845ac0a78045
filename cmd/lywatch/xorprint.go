package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/fatih/color"
	"github.com/lywatch/lywatch/geomdiff"
)

// xorPalette colours the geometric differences `check` and `gds diff
// --xor` print.
type xorPalette struct {
	bold, dim, red, green *color.Color
}

func newXORPalette(on bool) xorPalette {
	return xorPalette{newColor(on, color.Bold), newColor(on, color.Faint), newColor(on, color.FgRed), newColor(on, color.FgGreen)}
}

// printXOR prints, per differing cell and layer, the XOR area (and what
// only B and only A have), the number of polygons and the box of the
// difference, each line indented by indent:
//
//	~ mmi1x2_WM6 modified (renamed from mmi1x2_WM2p5 by factory mmi1x2)
//	    layer 1/0: XOR 19.25 µm² (+19.25 -0), 2 polygons, box (10,-3;15.5,3)
func printXOR(w io.Writer, indent string, res *geomdiff.Result, p xorPalette) {
	factories := map[string]string{}
	for _, r := range res.Renamed {
		factories[r.To] = r.Factory
	}
	for _, c := range res.Cells {
		head := p.bold.Sprint("~ cell") + " " + c.Name
		switch {
		case c.Status == "added":
			head = p.green.Sprint("+ cell") + " " + c.Name + " (new top cell)"
		case c.Status == "removed":
			head = p.red.Sprint("- cell") + " " + c.Name + " (top cell removed)"
		case c.RenamedFrom != "":
			head += " modified (renamed from " + c.RenamedFrom
			if f := factories[c.Name]; f != "" {
				head += ", made by " + f
			}
			head += ")"
		}
		fmt.Fprintf(w, "%s%s\n", indent, head)
		for _, l := range c.Layers {
			fmt.Fprintf(w, "%s    %s\n", indent, xorLayerLine(l, p))
		}
	}
	for _, r := range res.Renamed {
		if !hasCell(res.Cells, r.To) {
			line := fmt.Sprintf("= cell %s renamed from %s", r.To, r.From)
			if r.Factory != "" {
				line += ", made by " + r.Factory
			}
			fmt.Fprintf(w, "%s%s\n", indent, p.dim.Sprint(line+": same geometry"))
		}
	}
}

// xorLayerLine is one layer's difference.
func xorLayerLine(l geomdiff.Layer, p xorPalette) string {
	name := "layer " + l.String()
	if l.Name != "" {
		name += " " + l.Name
	}
	s := name + ":"
	if l.BBox != nil {
		s += fmt.Sprintf(" XOR %s µm² (%s %s), %s, box %s", num(l.Area), p.green.Sprint("+"+num(l.Added)),
			p.red.Sprint("-"+num(l.Removed)), plural(l.Polygons, "polygon"), l.BBox)
	}
	if l.LabelsAdded+l.LabelsRemoved > 0 {
		if l.BBox != nil {
			s += ";"
		}
		s += fmt.Sprintf(" labels %s %s", p.green.Sprintf("+%d", l.LabelsAdded), p.red.Sprintf("-%d", l.LabelsRemoved))
	}
	return s
}

// num prints an area without needless digits: 19.25, 0.001, 1.5e+06.
func num(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

func hasCell(cells []geomdiff.Cell, name string) bool {
	for _, c := range cells {
		if c.Name == name {
			return true
		}
	}
	return false
}
