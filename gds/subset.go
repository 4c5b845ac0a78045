package gds

import "fmt"

// Subset returns a new library with the cell called cellName and every cell
// below it, in the original order, sharing their contents with l. The
// context cell and metadata come along for those cells.
func (l *Library) Subset(cellName string) (*Library, error) {
	root := l.Cell(cellName)
	if root == nil {
		return nil, fmt.Errorf("gds: no cell %q", cellName)
	}
	keep := map[string]bool{cellName: true}
	stack := []*Cell{root}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for i := range c.Refs {
			n := c.Refs[i].Name
			if keep[n] {
				continue
			}
			child := l.Cell(n)
			if child == nil {
				return nil, refErr(&c.Refs[i], fmt.Sprintf("cell %q places missing cell %q", c.Name, n))
			}
			keep[n] = true
			stack = append(stack, child)
		}
	}
	out := *l
	out.Cells = nil
	out.index = nil
	out.Warnings = nil
	for _, c := range l.Cells {
		if keep[c.Name] {
			out.Cells = append(out.Cells, c)
		}
	}
	if l.Context != nil {
		out.Context = out.contextForWrite()
	}
	out.reindex()
	return &out, nil
}
