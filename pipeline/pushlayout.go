package pipeline

import (
	"bytes"
	"context"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/ipc"
)

// PushLayout is the push of data, the bytes of the layout file at path, as
// the live loop pushes a good build: with its cells' hashes, so that a
// KLayout showing the layout pushed before from the same path gets only
// the cells that changed (an identical layout: nothing), its top cell,
// and the factory of each cell, to follow a renamed cell. The factories
// given come first; the layout's own (kfactory's metadata, or the
// NAME.cells.json beside path) add the others. A layout the gds package
// cannot read is pushed whole and the error says why: KLayout may still
// read it.
func PushLayout(ctx context.Context, path string, data []byte, factories map[string]string) (*ipc.Layout, error) {
	l, cells, err := pushLayout(ctx, path, data)
	for _, c := range cells {
		if c.Factory != "" && factories[c.Name] == "" {
			addFactory(l, c.Name, c.Factory)
		}
	}
	for c, f := range factories {
		addFactory(l, c, f)
	}
	return l, err
}

func addFactory(l *ipc.Layout, cell, factory string) {
	if l.Factories == nil {
		l.Factories = map[string]string{}
	}
	l.Factories[cell] = factory
}

// pushLayout reads data for a push from path: the push with the cells'
// hashes and the top cell, and the cells as the graph knows them (see
// layoutCells). A layout that does not read is pushed whole, with no
// cells.
func pushLayout(ctx context.Context, path string, data []byte) (*ipc.Layout, []depgraph.CellInfo, error) {
	l := &ipc.Layout{Path: path, Data: data}
	lib, err := gds.ReadContext(ctx, bytes.NewReader(data), gds.ReadOptions{HashOnly: true})
	if err != nil {
		return l, nil, err
	}
	hashes, err := lib.Hashes()
	if err != nil {
		return l, nil, err
	}
	l.Cells = hashes
	if tops := lib.TopCells(); len(tops) > 0 {
		l.Top = tops[0]
	}
	return l, layoutCells(lib, path), nil
}
