package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lywatch/lywatch/gds"
)

// TestPushLayout: a layout is pushed with its cells' hashes and top cell,
// so only the cells it changed travel, and with the factories given; one
// that does not read is pushed whole, with the factories given.
func TestPushLayout(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chip.gds")
	writeLayout(t, path, map[string][]string{"chip": {"pad_S80"}, "pad_S80": nil}, nil)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := gds.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := lib.Hashes()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		data      []byte
		factories map[string]string
		cells     map[string]gds.CellHash
		top       string
		wantErr   bool
	}{
		{"a layout", good, map[string]string{"pad_S80": "pad", "pad_S120": "pad"}, hashes, "chip", false},
		{"no factories known", good, nil, hashes, "chip", false},
		{"not a layout", []byte("not GDS"), map[string]string{"pad_S80": "pad"}, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := PushLayout(context.Background(), path, tt.data, tt.factories)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want one: %v", err, tt.wantErr)
			}
			if l.Path != path || !reflect.DeepEqual(l.Data, tt.data) || !reflect.DeepEqual(l.Cells, tt.cells) || l.Top != tt.top {
				t.Errorf("push of %s with %d bytes, cells %v, top %q; want cells %v, top %q", l.Path, len(l.Data), l.Cells, l.Top, tt.cells, tt.top)
			}
			if !reflect.DeepEqual(l.Factories, tt.factories) {
				t.Errorf("factories %v, want %v", l.Factories, tt.factories)
			}
		})
	}
}
