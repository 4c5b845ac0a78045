// Command incremental measures a one-cell edit of a large layout open in
// KLayout, side by side: lywatch's incremental push (only the changed cell
// travels and is read into the open layout) against KLayout's full reload
// of the same file, alternated in one run.
//
//	go run ./bench/push/incremental -addr 127.0.0.1:PORT -layout big.gds -dir DIR [-n 10]
//
// The layout is written into DIR twice, as incr.gds and full.gds, each open
// in its own view. Each round edits one leaf cell (a box added, then taken
// away), pushes incr.gds with ipc.Pusher (incremental) and reloads full.gds
// with a plain push (KLayout re-reads the file), and records the time from
// the push to the server's reply, KLayout's own share, and the bytes sent.
// Before each push it waits until KLayout is idle (its drawing of the
// previous push done), so the two kinds do not slow each other down.
// The token comes from LYWATCH_TOKEN or the user's token file.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/ipc"
)

type version struct {
	data  []byte
	cells map[string]gds.CellHash
}

func main() {
	addr := flag.String("addr", ipc.DefaultAddr, "KLayout's lywatch server")
	layout := flag.String("layout", "", "a large GDS layout")
	dir := flag.String("dir", os.TempDir(), "where the pushed copies go")
	n := flag.Int("n", 10, "rounds")
	flag.Parse()
	if err := run(*addr, *layout, *dir, *n); err != nil {
		fmt.Fprintln(os.Stderr, "incremental:", err)
		os.Exit(1)
	}
}

func run(addr, layout, dir string, n int) error {
	lib, err := gds.ReadFile(layout)
	if err != nil {
		return err
	}
	leaf := pickLeaf(lib)
	fmt.Printf("layout %s: %d cells; the edit adds a box to %s and takes it away again\n", layout, len(lib.Cells), leaf.Name)
	a, err := encode(lib)
	if err != nil {
		return err
	}
	leaf.Shapes = append(leaf.Shapes, gds.Shape{Kind: gds.Boundary, Layer: 1, Type: 0,
		XY: []gds.Point{{X: 0, Y: 0}, {X: 1000, Y: 0}, {X: 1000, Y: 1000}, {X: 0, Y: 1000}, {X: 0, Y: 0}}})
	b, err := encode(lib)
	if err != nil {
		return err
	}
	leaf.Shapes = leaf.Shapes[:len(leaf.Shapes)-1]
	fmt.Printf("file: %d bytes (%.0f MB)\n", len(a.data), float64(len(a.data))/1e6)
	t0 := time.Now()
	part, _, err := gds.ExtractCells(b.data, func(n string) bool { return n == leaf.Name })
	if err != nil {
		return err
	}
	fmt.Printf("cutting the changed cell out of the layout's bytes: walking every record (gds.ExtractCells) %s, %d bytes; ", ms(time.Since(t0)), len(part))
	t0 = time.Now()
	if _, _, ok := gds.CutCells(b.data, []string{leaf.Name}); !ok {
		return fmt.Errorf("CutCells did not find %s", leaf.Name)
	}
	fmt.Printf("searching (gds.CutCells, what the push uses) %s\n", ms(time.Since(t0)))

	ctx := context.Background()
	incr := filepath.Join(dir, "incr.gds")
	full := filepath.Join(dir, "full.gds")
	p := ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return []string{addr} }, Timeout: 5 * time.Minute, Root: dir})
	c := &ipc.Client{Addr: addr, Timeout: 5 * time.Minute, Root: dir}
	if err := os.WriteFile(incr, a.data, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(full, a.data, 0o644); err != nil {
		return err
	}
	if _, err := p.Push(ctx, &ipc.Layout{Path: incr, Data: a.data, Cells: a.cells}); err != nil {
		return err
	}
	if _, err := c.Push(ctx, full, ipc.PushOptions{NewView: true}); err != nil {
		return err
	}
	var incrT, incrKL, fullT, fullKL []time.Duration
	var sent []int64
	for i := range n {
		v := b
		if i%2 == 1 {
			v = a
		}
		if err := os.WriteFile(incr, v.data, 0o644); err != nil {
			return err
		}
		idle(ctx, c)
		start := time.Now()
		rep, err := p.Push(ctx, &ipc.Layout{Path: incr, Data: v.data, Cells: v.cells})
		d := time.Since(start)
		if err != nil {
			return err
		}
		t := rep.Targets[0]
		if t.Type != "incremental" {
			return fmt.Errorf("round %d: the push was %q (%s), not incremental", i, t.Type, t.Fallback)
		}
		incrT, incrKL, sent = append(incrT, d), append(incrKL, t.Load), append(sent, t.Sent)

		if err := os.WriteFile(full, v.data, 0o644); err != nil {
			return err
		}
		idle(ctx, c)
		start = time.Now()
		res, err := c.Push(ctx, full, ipc.PushOptions{})
		d = time.Since(start)
		if err != nil {
			return err
		}
		if res.Type != "reload" {
			return fmt.Errorf("round %d: the full push was %q, not a reload", i, res.Type)
		}
		fullT, fullKL = append(fullT, d), append(fullKL, res.Load)
		fmt.Printf("round %2d: incremental %8s (KLayout %8s, %d bytes sent)   full reload %8s (KLayout %8s)\n",
			i+1, ms(incrT[i]), ms(incrKL[i]), sent[i], ms(fullT[i]), ms(fullKL[i]))
	}
	fmt.Println()
	fmt.Printf("incremental push, push to reply: %s; KLayout's share %s; sent min/median/max %d/%d/%d bytes\n",
		stats(incrT), stats(incrKL), slices.Min(sent), median(sent), slices.Max(sent))
	fmt.Printf("full reload,      push to reply: %s; KLayout's share %s; sent 0 bytes (the path)\n", stats(fullT), stats(fullKL))
	return nil
}

// idle waits until KLayout answers a status (its event loop is free) and
// its process has used less than a tenth of a core for 300 ms (its drawing
// threads are done with the previous push), so that each push is timed
// alone, not against the redraw of the one before (at most 30 s).
func idle(ctx context.Context, c *ipc.Client) {
	st, err := c.Status(ctx)
	if err != nil {
		return
	}
	stat := "/proc/" + strconv.Itoa(st.PID) + "/stat"
	ticks := func() int64 {
		b, err := os.ReadFile(stat)
		if err != nil {
			return -1
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			return -1
		}
		u, _ := strconv.ParseInt(f[11], 10, 64) // utime, in clock ticks (1/100 s)
		s, _ := strconv.ParseInt(f[12], 10, 64) // stime
		return u + s
	}
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		a := ticks()
		time.Sleep(300 * time.Millisecond)
		b := ticks()
		if a < 0 || b-a <= 3 {
			return
		}
	}
}

// pickLeaf returns a cell that places no other, placed by some cell.
func pickLeaf(lib *gds.Library) *gds.Cell {
	for _, c := range lib.Cells {
		if len(c.Refs) == 0 && len(c.Shapes) > 0 {
			return c
		}
	}
	return lib.Cells[0]
}

func encode(lib *gds.Library) (version, error) {
	var buf bytes.Buffer
	if err := gds.Write(&buf, lib); err != nil {
		return version{}, err
	}
	back, err := gds.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return version{}, err
	}
	h, err := back.Hashes()
	if err != nil {
		return version{}, err
	}
	return version{data: buf.Bytes(), cells: h}, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func stats(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("min/median/max %s / %s / %s", ms(s[0]), ms(s[len(s)/2]), ms(s[len(s)-1]))
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
