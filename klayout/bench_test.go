package klayout_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// BenchmarkPushReload pushes a layout that is open already into a real
// KLayout (reload keeping the view); ns/op is the client's round trip,
// load-ms/op KLayout's own share.
func BenchmarkPushReload(b *testing.B) {
	g := testsupport.KLayoutGUI(b, testsupport.GUIOptions{Macro: klayout.ServerMacro()})
	dir := b.TempDir()
	chip := filepath.Join(dir, "chip.gds")
	testsupport.Batch(b, `
import pya
ly = pya.Layout()
top = ly.create_cell("TOP")
for i in range(200):
    c = ly.create_cell("C%d" % i)
    for l in range(5):
        for j in range(20):
            c.shapes(ly.layer(l, 0)).insert(pya.Box(j * 100, l * 100, j * 100 + 50, l * 100 + 50))
    top.insert(pya.CellInstArray(c.cell_index(), pya.Trans(i * 3000, 0)))
ly.write(out)
`, map[string]string{"out": chip})
	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 30 * time.Second}
	ctx := context.Background()
	if _, err := c.Push(ctx, chip, ipc.PushOptions{}); err != nil {
		b.Fatal(err)
	}
	var load time.Duration
	b.ResetTimer()
	for b.Loop() {
		res, err := c.Push(ctx, chip, ipc.PushOptions{})
		if err != nil {
			b.Fatal(err)
		}
		load += res.Load
	}
	b.ReportMetric(float64(load.Microseconds())/1000/float64(b.N), "load-ms/op")
}

// BenchmarkStatus measures one status request to a real KLayout.
func BenchmarkStatus(b *testing.B) {
	g := testsupport.KLayoutGUI(b, testsupport.GUIOptions{Macro: klayout.ServerMacro()})
	c := &ipc.Client{Addr: g.Addr, Token: g.Token}
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
