package replay

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// screen records what it shows; fail, when set, fails that layout.
type screen struct {
	mu     sync.Mutex
	shown  []string
	fail   string
	onShow func(string)
}

func (s *screen) Show(_ context.Context, layout []byte) (string, error) {
	if string(layout) == s.fail {
		return "", errors.New("KLayout said no")
	}
	s.mu.Lock()
	s.shown = append(s.shown, string(layout))
	s.mu.Unlock()
	if s.onShow != nil {
		s.onShow(string(layout))
	}
	return "reload", nil
}

func (s *screen) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.shown...)
}

func frames(names ...string) []Frame {
	var out []Frame
	for _, n := range names {
		out = append(out, Frame{Title: "frame " + n, Load: func() ([]byte, error) { return []byte(n), nil }})
	}
	return out
}

func lastGood(s string) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) { return []byte(s), nil }
}

func keys(ks ...Key) <-chan Key {
	ch := make(chan Key, len(ks))
	for _, k := range ks {
		ch <- k
	}
	close(ch)
	return ch
}

func TestPlay(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"in order, back to the last good", Options{Frames: frames("1", "2", "3"), FPS: 1000, LastGood: lastGood("good")}, []string{"1", "2", "3", "good"}},
		{"ending on the last good layout shows it once", Options{Frames: frames("1", "good"), FPS: 1000, LastGood: lastGood("good")}, []string{"1", "good"}},
		{"step: next, back, next, next past the end", Options{Frames: frames("1", "2", "3"), Keys: keys(Next, Back, Next, Next, Next), LastGood: lastGood("good")},
			[]string{"1", "2", "1", "2", "3", "good"}},
		{"step: back at the start stays", Options{Frames: frames("1", "2"), Keys: keys(Back, Next, Quit)}, []string{"1", "2"}},
		{"step: quit", Options{Frames: frames("1", "2", "3"), Keys: keys(Next, Quit), LastGood: lastGood("good")}, []string{"1", "2", "good"}},
		{"step: the keys end (EOF)", Options{Frames: frames("1", "2", "3"), Keys: keys(Next), LastGood: lastGood("good")}, []string{"1", "2", "good"}},
		{"step with loop wraps both ways", Options{Frames: frames("1", "2"), Loop: true, Keys: keys(Back, Next, Next, Quit)}, []string{"1", "2", "1", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s screen
			var out bytes.Buffer
			tt.o.Screen, tt.o.Out = &s, &out
			if err := Play(context.Background(), tt.o); err != nil {
				t.Fatal(err)
			}
			if got := s.got(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("shown %v, want %v", got, tt.want)
			}
			if !strings.Contains(out.String(), "[1/") || !strings.Contains(out.String(), "(reload)") {
				t.Errorf("summaries:\n%s", out.String())
			}
		})
	}
}

// TestInterruptLeavesTheLastGoodLayout: Ctrl-C (ctx cancelled) during a
// looping replay still puts the last good layout back, with a context of
// its own.
func TestInterruptLeavesTheLastGoodLayout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &screen{}
	s.onShow = func(l string) {
		if l == "3" {
			cancel()
		}
	}
	good := func(ctx context.Context) ([]byte, error) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return []byte("good"), nil
	}
	err := Play(ctx, Options{Frames: frames("1", "2", "3"), FPS: 1000, Loop: true, Screen: s, LastGood: good})
	if err != nil {
		t.Fatal(err)
	}
	got := s.got()
	if len(got) < 4 || got[len(got)-1] != "good" {
		t.Errorf("shown %v: the last good layout is not last", got)
	}
}

func TestFailedFrameStillRestores(t *testing.T) {
	s := &screen{fail: "2"}
	err := Play(context.Background(), Options{Frames: frames("1", "2", "3"), FPS: 1000, Screen: s, LastGood: lastGood("good")})
	if err == nil || !strings.Contains(err.Error(), "show frame 2 of 3") {
		t.Errorf("error %v", err)
	}
	if got := s.got(); !reflect.DeepEqual(got, []string{"1", "good"}) {
		t.Errorf("shown %v", got)
	}
	bad := []Frame{{Title: "gone", Load: func() ([]byte, error) { return nil, errors.New("checksum mismatch") }}}
	err = Play(context.Background(), Options{Frames: bad, Screen: &screen{}})
	if err == nil || !strings.Contains(err.Error(), "frame 1 of 1 (gone): checksum mismatch") {
		t.Errorf("error %v", err)
	}
}

// TestPace: frames follow each other at the pace asked (within a wide
// margin: the machine is shared).
func TestPace(t *testing.T) {
	var s screen
	start := time.Now()
	if err := Play(context.Background(), Options{Frames: frames("1", "2", "3", "4", "5"), FPS: 50, Screen: &s}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 5*20*time.Millisecond {
		t.Errorf("5 frames at 50 fps took %v, less than 100 ms", el)
	}
}

func TestReadKeys(t *testing.T) {
	tests := []struct {
		name  string
		input string
		raw   bool
		want  []Key
	}{
		{"lines", "n\n\nnext\nb\nback\nwhat\np\nq\nn\n", false, []Key{Next, Next, Next, Back, Back, Back, Quit}},
		{"lines to the end", "n\n", false, []Key{Next, Quit}},
		{"raw keys", "n bj kpq", true, []Key{Next, Next, Back, Next, Next, Back, Back, Quit}},
		{"raw arrows", "\x1b[C\x1b[D\x1b[B\x1b[A\x04", true, []Key{Next, Back, Next, Back, Quit}},
		{"raw escape alone", "n\x1b", true, []Key{Next, Quit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Key
			for k := range ReadKeys(strings.NewReader(tt.input), tt.raw) {
				got = append(got, k)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keys %v, want %v", got, tt.want)
			}
		})
	}
}

type pusher struct {
	paths   []string
	layouts [][]byte
}

func (p *pusher) Push(_ context.Context, path string, layout []byte) (string, error) {
	p.paths = append(p.paths, path)
	p.layouts = append(p.layouts, layout)
	return "reload", nil
}

func TestFileScreen(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"chip.gds", "chip.gds.gz"} {
		p := &pusher{}
		s := FileScreen{Path: filepath.Join(dir, "out", name), Push: p}
		if _, err := s.Show(context.Background(), []byte("GDS")); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(s.Path)
		if err != nil || len(p.paths) != 1 || p.paths[0] != s.Path {
			t.Fatalf("%s: %v, pushed %v", name, err, p.paths)
		}
		if !bytes.Equal(p.layouts[0], b) {
			t.Errorf("%s: pushed with %q, the file holds %q", name, p.layouts[0], b)
		}
		if strings.HasSuffix(name, ".gz") != bytes.HasPrefix(b, []byte("\x1f\x8b")) {
			t.Errorf("%s holds %q", name, b)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "out"))
	if len(ents) != 2 {
		t.Errorf("temporary files left: %v", ents)
	}
}
