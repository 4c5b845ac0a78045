package klayout_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"image/png"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// makeLayouts writes two versions of a small layout into dir with KLayout's
// batch mode: v1.gds (TOP > SUB, layers 1/0 and 2/0) and v2.gds (the same
// cells, a wider shape and a new layer 3/0).
func makeLayouts(t *testing.T, dir string) (v1, v2 string) {
	t.Helper()
	const script = `
import pya, os
def make(path, extra):
    ly = pya.Layout()
    ly.dbu = 0.001
    top = ly.create_cell("TOP")
    sub = ly.create_cell("SUB")
    sub.shapes(ly.layer(1, 0)).insert(pya.Box(0, 0, 10000, 5000))
    top.insert(pya.CellInstArray(sub.cell_index(), pya.Trans(0, 0)))
    top.shapes(ly.layer(2, 0)).insert(pya.Box(-20000, -20000, 50000 + extra * 10000, 30000))
    if extra:
        top.shapes(ly.layer(3, 0)).insert(pya.Box(0, 0, 1000, 1000))
    ly.write(path)
make(os.path.join(dir, "v1.gds"), 0)
make(os.path.join(dir, "v2.gds"), 1)
`
	testsupport.Batch(t, script, map[string]string{"dir": dir})
	return filepath.Join(dir, "v1.gds"), filepath.Join(dir, "v2.gds")
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func status(t *testing.T, c *ipc.Client) *ipc.Status {
	t.Helper()
	st, err := c.Status(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

func push(t *testing.T, c *ipc.Client, path string, opt ipc.PushOptions) *ipc.PushResult {
	t.Helper()
	res, err := c.Push(ctxT(t, 20*time.Second), path, opt)
	if err != nil {
		t.Fatalf("push %s: %v", path, err)
	}
	return res
}

func sameBox(a, b []float64, tol float64) bool {
	if len(a) != 4 || len(b) != 4 {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// TestKLayoutEndToEnd drives one real KLayout GUI under Xvfb through the
// pushes lywatch makes, then kills and restarts it.
func TestKLayoutEndToEnd(t *testing.T) {
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(), Env: []string{"LYWATCH_LYIPC=1", "LYWATCH_KLIVE=1"}})
	dir := t.TempDir()
	v1, v2 := makeLayouts(t, dir)
	chip := filepath.Join(dir, "chip.gds")
	copyFile(t, v1, chip)
	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 20 * time.Second}

	t.Run("the running server answers every command the client sends", func(t *testing.T) {
		var pong struct {
			Commands []string `json:"commands"`
		}
		if err := c.Call(ctxT(t, 10*time.Second), ipc.CmdPing, nil, &pong); err != nil {
			t.Fatal(err)
		}
		client := ipc.Commands()
		slices.Sort(client)
		if !slices.Equal(pong.Commands, client) {
			t.Errorf("server's commands %v, client's %v", pong.Commands, client)
		}
	})

	t.Run("the discovery file says the server binds loopback by default", func(t *testing.T) {
		d, err := klayout.ReadDiscoveryFile(g.DiscoveryFile())
		if err != nil || d.Bind != "127.0.0.1" || !d.Listening || d.PID != g.PID() || d.Addr() != g.Addr {
			t.Errorf("discovery file %+v, %v; want pid %d listening on 127.0.0.1 only", d, err, g.PID())
		}
	})

	t.Run("push then status shows file and top cell", func(t *testing.T) {
		res := push(t, c, chip, ipc.PushOptions{})
		if res.Type != "open" || res.File != chip || res.Cell != "TOP" {
			t.Errorf("push result %+v, want type open, file %s, cell TOP", res, chip)
		}
		st := status(t, c)
		if st.File != chip || st.Cell != "TOP" || !slices.Equal(st.TopCells, []string{"TOP"}) || st.Views != 1 {
			t.Errorf("status %+v: want file %s, cell TOP, one view", st, chip)
		}
		if st.ServerVersion != klayout.ServerVersion() || !strings.HasPrefix(st.KLayoutVersion, "KLayout ") {
			t.Errorf("versions: server %q, klayout %q", st.ServerVersion, st.KLayoutVersion)
		}
	})

	t.Run("rebuild keeps box, cell and hidden layer; new layer shows", func(t *testing.T) {
		ctx := ctxT(t, 20*time.Second)
		if err := c.Zoom(ctx, 1, 1, 9, 4); err != nil {
			t.Fatal(err)
		}
		if err := c.SetLayerVisible(ctx, "2/0", false); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(ctx, "cell", map[string]any{"name": "SUB"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(ctx, "set_layer_color", map[string]any{"layer": "1/0", "color": "#12ab34"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(ctx, "hier", map[string]any{"max": 1}, nil); err != nil {
			t.Fatal(err)
		}
		before := status(t, c)
		if before.Cell != "SUB" || before.MaxHier != 1 {
			t.Fatalf("before the reload: cell %q, max hier %d; want SUB, 1", before.Cell, before.MaxHier)
		}
		copyFile(t, v2, chip)
		res := push(t, c, chip, ipc.PushOptions{})
		if res.Type != "reload" {
			t.Errorf("push type %q, want reload", res.Type)
		}
		after := status(t, c)
		dbu := after.DBU
		if !sameBox(before.Box, after.Box, dbu) {
			t.Errorf("view box %v after reload, want %v (within %g)", after.Box, before.Box, dbu)
		}
		if l := layerOf(after, "1/0"); l == nil || l.Fill != "#12ab34" || l.Frame != "#12ab34" {
			t.Errorf("layer 1/0 after reload: %+v, want fill and frame #12ab34", l)
		}
		if after.Dirty {
			t.Error("the reloaded layout counts as edited")
		}
		if after.Cell != before.Cell || after.Views != 1 {
			t.Errorf("cell %q, views %d after reload; want %q, 1", after.Cell, after.Views, before.Cell)
		}
		if !slices.Equal(after.HiddenLayers, []string{"2/0"}) {
			t.Errorf("hidden layers %v, want [2/0]", after.HiddenLayers)
		}
		if !slices.Contains(after.VisibleLayers, "3/0") {
			// 3/0 is in TOP only: it must still be listed while SUB is shown.
			t.Errorf("new layer 3/0 not shown: visible %v", after.VisibleLayers)
		}
		if after.MaxHier != before.MaxHier || after.MinHier != before.MinHier {
			t.Errorf("hierarchy levels %d..%d, want %d..%d", after.MinHier, after.MaxHier, before.MinHier, before.MaxHier)
		}
	})

	t.Run("file changed on disk while open does not block", func(t *testing.T) {
		if st := status(t, c); st.FileWatcher {
			t.Error("KLayout's file-changed check is still on")
		}
		copyFile(t, v1, chip)
		os.Chtimes(chip, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
		// Keep asking for a while: KLayout's check (were it on) would pop up
		// its prompt within a second or so.
		quick := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 2 * time.Second}
		for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
			if _, err := quick.Status(context.Background()); err != nil {
				t.Fatalf("status after the file changed on disk: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		start := time.Now()
		push(t, c, chip, ipc.PushOptions{})
		if _, err := (&ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 2 * time.Second}).Status(context.Background()); err != nil {
			t.Fatalf("status after the push: %v", err)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("push and statuses took %v", d)
		}
	})

	t.Run("garbage and a 100 MB line get error replies", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", g.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(60 * time.Second))
		errc := make(chan error, 1)
		go func() {
			var err error
			w := func(b []byte) {
				if err == nil {
					_, err = conn.Write(b)
				}
			}
			w([]byte("{garbage\n"))
			w([]byte("{\"cmd\": \"x\xff\xfe\"}\n"))
			w([]byte("[1,2]\n"))
			w([]byte(`{"cmd":"`))
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 100 {
				w(chunk)
			}
			w([]byte("\"}\n{\"id\": 7, \"cmd\": \"status\", \"token\": \"" + g.Token + "\"}\n"))
			errc <- err
		}()
		br := bufio.NewReaderSize(conn, 64<<10)
		for i := range 4 {
			line, err := ipc.ReadLine(br, ipc.MaxReplySize)
			if err != nil {
				t.Fatalf("reply %d: %v", i, err)
			}
			rep, err := ipc.ParseReply(line)
			if err != nil || rep.OK || rep.Error == "" {
				t.Fatalf("reply %d to garbage: %q (%v), want an error reply", i, line, err)
			}
		}
		line, err := ipc.ReadLine(br, ipc.MaxReplySize)
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := ipc.ParseReply(line); err != nil || !rep.OK || rep.ID == nil || *rep.ID != 7 {
			t.Fatalf("status after garbage: %q (%v)", line, err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		// Binary garbage on a fresh connection is taken as a text command.
		if _, err := (&ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 5 * time.Second}).Text(context.Background(), "\x01\x02\xff"); err == nil {
			t.Error("binary garbage answered ACK")
		}
		status(t, c)
	})

	t.Run("lyipc load, reload view and cellview answer ACK", func(t *testing.T) {
		ly := &ipc.Client{Addr: g.Addr, Token: g.Token, Protocol: ipc.ProtoLyipc, Timeout: 20 * time.Second}
		ctx := ctxT(t, 30*time.Second)
		for _, cmd := range []string{"ping", "load " + ipc.QuoteTextArg(chip), "reload view", "cellview SUB", "cellview TOP"} {
			if _, err := ly.Text(ctx, cmd); err != nil {
				t.Errorf("%s: %v", cmd, err)
			}
		}
		if _, err := ly.Text(ctx, "cellview NOPE"); err == nil {
			t.Error("cellview NOPE answered ACK")
		}
		if _, err := ly.Push(ctx, chip, ipc.PushOptions{}); err != nil {
			t.Errorf("lyipc push: %v", err)
		}
		if st := status(t, c); st.Views != 1 || st.File != chip {
			t.Errorf("after lyipc commands: %d views, file %q", st.Views, st.File)
		}
	})

	t.Run("klive request reloads", func(t *testing.T) {
		kl := &ipc.Client{Addr: g.Addr, Token: g.Token, Protocol: ipc.ProtoKlive, Timeout: 20 * time.Second}
		res, err := kl.Push(ctxT(t, 20*time.Second), chip, ipc.PushOptions{})
		if err != nil || res.Type != "reload" {
			t.Fatalf("klive push: %+v, %v", res, err)
		}
	})

	t.Run("image after a push is not blank", func(t *testing.T) {
		ctx := ctxT(t, 20*time.Second)
		push(t, c, chip, ipc.PushOptions{})
		if err := c.SetLayerVisible(ctx, "2/0", true); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(ctx, "cell", map[string]any{"name": "TOP"}, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(ctx, "hier", map[string]any{"max": 10}, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Call(ctx, "zoom_fit", nil, nil); err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(t.TempDir(), "view.png")
		if err := c.SaveImage(ctx, img, 200, 150); err != nil {
			t.Fatal(err)
		}
		checkNotBlank(t, img)
	})

	t.Run("new view and errors", func(t *testing.T) {
		res := push(t, c, v2, ipc.PushOptions{NewView: true})
		if res.Type != "open" {
			t.Errorf("new-view push: %+v", res)
		}
		if st := status(t, c); st.Views != 2 || st.File != v2 {
			t.Errorf("after new-view push: %d views, file %s", st.Views, st.File)
		}
		_, err := c.Push(ctxT(t, 10*time.Second), filepath.Join(dir, "missing.gds"), ipc.PushOptions{})
		var se *ipc.ServerError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "not found or not allowed") {
			t.Errorf("push of a missing file: %v, want a server error 'not found or not allowed'", err)
		}
	})

	t.Run("a broken layout gets an error reply and the next good one loads", func(t *testing.T) {
		push(t, c, chip, ipc.PushOptions{})
		chipView := func() ipc.View {
			for _, v := range status(t, c).AllViews {
				if v.File == chip {
					return v
				}
			}
			t.Fatalf("no view shows %s", chip)
			return ipc.View{}
		}
		before := chipView()
		bad := filepath.Join(dir, "bad.gds")
		os.WriteFile(bad, []byte("this is not a layout"), 0o644)
		_, err := c.Push(ctxT(t, 10*time.Second), bad, ipc.PushOptions{})
		var se *ipc.ServerError
		if !errors.As(err, &se) {
			t.Errorf("push of a broken file: %v, want a server error", err)
		}
		copyFile(t, bad, chip)
		if _, err := c.Push(ctxT(t, 10*time.Second), chip, ipc.PushOptions{}); !errors.As(err, &se) {
			t.Errorf("reload of a broken file: %v, want a server error", err)
		}
		status(t, c)
		copyFile(t, v1, chip)
		push(t, c, chip, ipc.PushOptions{})
		if st := chipView(); st.Cell != before.Cell || !sameBox(st.Box, before.Box, 0.001) || st.Dirty {
			t.Errorf("after the good push: cell %q, box %v, dirty %v; want %q, %v, not dirty", st.Cell, st.Box, st.Dirty, before.Cell, before.Box)
		}
	})

	t.Run("a deep, large layout opens at a depth KLayout draws quickly", func(t *testing.T) {
		deep := filepath.Join(dir, "deep.gds")
		testsupport.Batch(t, `
import pya
ly = pya.Layout()
child = ly.create_cell("L0")
for k in range(20):
    child.shapes(ly.layer(1, 0)).insert(pya.Box(k * 10, 0, k * 10 + 5, 5))
for lvl in range(1, 9):
    c = ly.create_cell("L%d" % lvl)
    c.insert(pya.CellInstArray(child.cell_index(), pya.Trans(), pya.Vector(1000 * 4 ** lvl, 0), pya.Vector(0, 1000 * 4 ** lvl), 3, 3))
    child = c
ly.write(out)
`, map[string]string{"out": deep})
		small := push(t, c, chip, ipc.PushOptions{NewView: true})
		if st := status(t, c); small.Type != "open" || st.MaxHier < 2 {
			t.Errorf("a small layout opened at depth %d, want its full depth (2)", st.MaxHier)
		}
		res := push(t, c, deep, ipc.PushOptions{NewView: true})
		st := status(t, c)
		// 8 levels of 9 placements each: 9^8 × 20 = 861 million shapes at
		// full depth; KLayout would draw for minutes.
		if res.Type != "open" || st.File != deep || st.MaxHier >= 8 || st.MaxHier < 1 {
			t.Errorf("deep layout opened at hierarchy levels %d..%d, want fewer than its 8", st.MinHier, st.MaxHier)
		}
	})

	t.Run("a restarted KLayout is noticed and gets the last good layout at once", func(t *testing.T) {
		p := ipc.NewPusher(ipc.PusherOptions{Targets: func() []string { return []string{g.Addr} }, Token: g.Token, Timeout: 20 * time.Second})
		last := layoutOf(t, v2, chip) // with its hashes: a push of it again is "none"
		if got := p.Probe(ctxT(t, 10*time.Second)); !slices.Equal(got, []string{g.Addr}) {
			t.Errorf("probe before any push: %v, want %s", got, g.Addr)
		}
		if _, err := p.Push(ctxT(t, 20*time.Second), last); err != nil {
			t.Fatal(err)
		}
		if got := p.Probe(ctxT(t, 10*time.Second)); len(got) != 0 {
			t.Errorf("probe after a push: %v, want none", got)
		}
		if rep, err := p.Push(ctxT(t, 20*time.Second), last); err != nil || rep.Targets[0].Type != "none" {
			t.Errorf("the same layout again: %+v, %v; want none", rep, err)
		}
		g.Kill()
		edited := layoutOf(t, v1, filepath.Join(dir, "edited.gds"))
		edited.Path = chip
		if _, err := p.Push(ctxT(t, 10*time.Second), edited); !errors.Is(err, ipc.ErrNoServer) {
			t.Fatalf("push to a killed KLayout: %v, want ErrNoServer", err)
		}
		if got := p.Probe(ctxT(t, 10*time.Second)); len(got) != 0 {
			t.Errorf("probe of a killed KLayout: %v, want none", got)
		}
		g.Restart()
		got := p.Probe(ctxT(t, 10*time.Second))
		if !slices.Equal(got, []string{g.Addr}) {
			t.Fatalf("probe after the restart: %v, want %s", got, g.Addr)
		}
		if rep, err := p.Push(ctxT(t, 20*time.Second), last); err != nil || rep.Targets[0].Type != "open" {
			t.Fatalf("the last good layout into the restarted KLayout: %+v, %v; want open", rep, err)
		}
		if st := status(t, c); st.File != chip || st.Views != 1 {
			t.Errorf("after restart: %+v", st)
		}
	})
}

func layerOf(st *ipc.Status, name string) *ipc.Layer {
	for i := range st.Layers {
		if st.Layers[i].Layer == name {
			return &st.Layers[i]
		}
	}
	return nil
}

func checkNotBlank(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no image: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("image %s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != 200 || b.Dy() != 150 {
		t.Errorf("image is %dx%d, want 200x150", b.Dx(), b.Dy())
	}
	bg := img.At(b.Min.X, b.Min.Y)
	r0, g0, b0, _ := bg.RGBA()
	differ := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 {
				differ++
			}
		}
	}
	if differ < b.Dx()*b.Dy()/100 {
		t.Errorf("image %s is blank: only %d pixels differ from the background", path, differ)
	}
}

// TestKLayoutPortTaken checks that a server whose port is taken says so in
// KLayout's log and in its discovery file.
func TestKLayoutPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(), Port: port, NotListening: true})
	t.Setenv("XDG_CACHE_HOME", g.CacheDir)
	ds, err := klayout.ReadDiscovery(port)
	if err != nil || len(ds) != 1 {
		t.Fatalf("discovery: %v, %d files", err, len(ds))
	}
	if d := ds[0]; d.Listening || !strings.Contains(d.Error, "cannot listen") || d.PID != g.PID() || !d.Alive() {
		t.Errorf("discovery %+v: want not listening, an error, pid %d alive", d, g.PID())
	}
	if !strings.Contains(g.Output(), "cannot listen") {
		t.Errorf("KLayout's log does not say the port is taken:\n%s", g.Output())
	}
}

// TestKLayoutAutorunInstall installs the macro as lywatch klayout install
// does and starts a plain `klayout -e`: the server comes up by itself.
func TestKLayoutAutorunInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a KLayout")
	}
	home := t.TempDir()
	path, changed, err := klayout.Install(filepath.Join(home, ".klayout", "pymacros"))
	if err != nil || !changed {
		t.Fatalf("install: %s, %v, %v", path, changed, err)
	}
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(), Home: home, Autorun: true})
	st, err := (&ipc.Client{Addr: g.Addr, Token: g.Token}).Status(ctxT(t, 10*time.Second))
	if err != nil || st.PID != g.PID() {
		t.Fatalf("status of the autorun server: %+v, %v", st, err)
	}
}
