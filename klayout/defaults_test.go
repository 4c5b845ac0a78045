package klayout_test

import (
	"errors"
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

// TestServerDefaults checks, against a real KLayout, what the server does
// when nothing is switched on, and that switching on changes it: klive
// compatibility is off until LYWATCH_KLIVE (lywatch klayout start --klive),
// a layout outside the allowed folders is refused until LYWATCH_ALLOW
// (--allow) names its folder, and save_image of a bare file name writes
// into the server's own image folder.
func TestServerDefaults(t *testing.T) {
	layouts := t.TempDir() // never a client's root
	v1, _ := makeLayouts(t, layouts)
	// No request below sends a project root: the allowed folders are those
	// of the server's start alone.
	client := func(g *testsupport.GUI) *ipc.Client {
		return &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 20 * time.Second}
	}
	kliveLoad := func(t *testing.T, g *testsupport.GUI) error {
		t.Helper()
		_, err := (&ipc.Client{Addr: g.Addr, Protocol: ipc.ProtoKlive, Timeout: 20 * time.Second}).Push(ctxT(t, 30*time.Second), v1, ipc.PushOptions{})
		return err
	}
	load := func(t *testing.T, g *testsupport.GUI) error {
		t.Helper()
		return client(g).Call(ctxT(t, 30*time.Second), ipc.CmdLoad, map[string]any{"path": v1}, nil)
	}

	t.Run("nothing switched on", func(t *testing.T) {
		g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro()})
		defer g.Kill()
		c := client(g)
		st := status(t, c)
		if st.Klive || st.Lyipc || len(st.Allowed) != 0 {
			t.Errorf("status: klive %v, lyipc %v, allowed %q; want both off and no folder", st.Klive, st.Lyipc, st.Allowed)
		}
		err := kliveLoad(t, g)
		if err == nil || !strings.Contains(err.Error(), "klive compatibility is off") {
			t.Errorf("klive load with klive off: %v, want refused", err)
		}
		var se *ipc.ServerError
		if err := load(t, g); !errors.As(err, &se) || se.Code != ipc.CodeNotAllowed {
			t.Errorf("load of %s, outside every allowed folder: %v, want not_allowed", v1, err)
		}
		if st := status(t, c); st.File == v1 || st.Loads != 0 {
			t.Errorf("the refused layout was opened: file %q, %d loads", st.File, st.Loads)
		}

		// A view to take images of: a layout sent as bytes (the server's
		// own copy is allowed; the push's root is a folder of its own).
		raw, err := os.ReadFile(v1)
		if err != nil {
			t.Fatal(err)
		}
		push(t, c, filepath.Join(t.TempDir(), "sent.gds"), ipc.PushOptions{Data: raw})

		// The image folder: the server's own, private, and where a bare
		// file name goes; not KLayout's working folder (its HOME here).
		if st.ImageDir == "" || !filepath.IsAbs(st.ImageDir) {
			t.Fatalf("image_dir %q", st.ImageDir)
		}
		fi, err := os.Stat(st.ImageDir)
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Fatalf("image_dir %s: %v, %v; want a folder of mode 0700", st.ImageDir, fi, err)
		}
		var res struct {
			Path string `json:"path"`
		}
		if err := c.Call(ctxT(t, 30*time.Second), ipc.CmdSaveImage, map[string]any{"path": "shot.png", "width": 64, "height": 48}, &res); err != nil {
			t.Fatalf("save_image shot.png: %v", err)
		}
		want := filepath.Join(st.ImageDir, "shot.png")
		if res.Path != want {
			t.Errorf("save_image shot.png wrote %q, want %q", res.Path, want)
		}
		if b, err := os.ReadFile(want); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
			t.Errorf("%s: %v, not a PNG", want, err)
		}
		if _, err := os.Stat(filepath.Join(g.Home, "shot.png")); err == nil {
			t.Error("save_image of a bare name wrote into KLayout's working folder")
		}
		// Outside the image folder and the allowed ones: refused, and
		// nothing written. (Call sends no root; ipc.Client.SaveImage would
		// send the image's folder, which allows it.)
		for _, p := range []string{filepath.Join(layouts, "shot.png"), filepath.Join(g.Home, "shot.png")} {
			err := c.Call(ctxT(t, 30*time.Second), ipc.CmdSaveImage, map[string]any{"path": p, "width": 64, "height": 48}, nil)
			if !errors.As(err, &se) || se.Code != ipc.CodeNotAllowed {
				t.Errorf("save_image %s: %v, want not_allowed", p, err)
			}
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s written", p)
			}
		}
		if t.Failed() {
			t.Log(g.Output())
		}
	})

	t.Run("LYWATCH_KLIVE and LYWATCH_ALLOW", func(t *testing.T) {
		g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(),
			Env: []string{"LYWATCH_KLIVE=1", "LYWATCH_ALLOW=" + layouts}})
		defer g.Kill()
		c := client(g)
		real, err := filepath.EvalSymlinks(layouts)
		if err != nil {
			t.Fatal(err)
		}
		st := status(t, c)
		if !st.Klive || st.Lyipc || !slices.Contains(st.Allowed, real) {
			t.Errorf("status: klive %v, lyipc %v, allowed %q; want klive on and %s allowed", st.Klive, st.Lyipc, st.Allowed, real)
		}
		if err := kliveLoad(t, g); err != nil {
			t.Errorf("klive load with klive on: %v", err)
		}
		if st := status(t, c); st.File != v1 {
			t.Errorf("after the klive load KLayout shows %q, want %s", st.File, v1)
		}
		if err := load(t, g); err != nil {
			t.Errorf("load of %s in an allowed folder: %v", v1, err)
		}
		if err := c.Call(ctxT(t, 30*time.Second), ipc.CmdSaveImage, map[string]any{"path": filepath.Join(layouts, "shot.png"), "width": 64, "height": 48}, nil); err != nil {
			t.Errorf("save_image into an allowed folder: %v", err)
		}
		if t.Failed() {
			t.Log(g.Output())
		}
	})
}
