package ipc

import (
	"context"
	"path/filepath"
)

// RDBInfo is a report database shown in KLayout's marker browser.
type RDBInfo struct {
	// Index is its index in the view.
	Index int    `json:"index"`
	Name  string `json:"name"`
	File  string `json:"file"`
	// Generator says who wrote it ("lywatch" for lywatch's diffs).
	Generator string `json:"generator"`
	// Items counts its items, Categories its categories and theirs.
	Items      int           `json:"items"`
	Categories []RDBCategory `json:"categories"`
}

// RDBCategory is one category of a report database.
type RDBCategory struct {
	Name  string `json:"name"`
	Items int    `json:"items"`
}

// ShowRDB shows the report database at path in the current view, in
// KLayout's marker browser, replacing the one lywatch showed there before
// (lywatch protocol; a server that does not show report databases answers
// with an error naming the unknown command).
func (c *Client) ShowRDB(ctx context.Context, path string) (*RDBInfo, error) {
	var r RDBInfo
	if err := c.Call(ctx, CmdRDB, map[string]any{"path": abs(path)}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// RDBs lists the report databases of the current view.
func (c *Client) RDBs(ctx context.Context) ([]RDBInfo, error) {
	var r struct {
		RDBs []RDBInfo `json:"rdbs"`
	}
	if err := c.Call(ctx, CmdRDB, nil, &r); err != nil {
		return nil, err
	}
	return r.RDBs, nil
}

// abs makes a path absolute for KLayout, which runs elsewhere ("" stays "").
func abs(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
