package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/gds"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
)

// fakeStore keeps manifests, graphs and layouts in memory (and each layout
// in a file, where LayoutPath says), as the session keeps them on disk.
type fakeStore struct {
	dir string
	mu  sync.Mutex
	m   map[string]*session.Manifest
	// saveGate, when set, is waited on by SaveLayout; saveErr is returned.
	saveGate chan struct{}
	saveErr  error
	saves    int
	restored []string
}

func newFakeStore(t *testing.T) *fakeStore {
	return &fakeStore{dir: t.TempDir(), m: map[string]*session.Manifest{}}
}

func (s *fakeStore) Load(target string) (*session.Manifest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.m[target]; m != nil {
		return m.Clone(), nil
	}
	return nil, nil
}

func (s *fakeStore) LoadGraph(target string, m *session.Manifest) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sm := s.m[target]; sm != nil {
		return sm.Graph, nil
	}
	return nil, errors.New("no graph")
}

func (s *fakeStore) LayoutPath(target string) string { return filepath.Join(s.dir, target+".gds") }

func (s *fakeStore) SaveLayout(target string, m *session.Manifest, layout []byte) error {
	if s.saveGate != nil {
		<-s.saveGate
	}
	if s.saveErr != nil {
		return s.saveErr
	}
	if err := os.WriteFile(s.LayoutPath(target), layout, 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(layout)
	m = m.Clone()
	m.Graph = append(json.RawMessage(nil), m.Graph...)
	m.Written = time.Now().Add(-time.Hour) // no racy rehash in Validate
	m.Layout = session.Layout{File: target + ".gds", Source: hex.EncodeToString(sum[:]), Size: int64(len(layout))}
	m.GraphFile = session.Layout{File: "graph.json"}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[target] = m
	s.saves++
	return nil
}

func (s *fakeStore) RestoreLayout(_ context.Context, target string, _ *session.Manifest, dst string) error {
	b, err := os.ReadFile(s.LayoutPath(target))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.restored = append(s.restored, target)
	s.mu.Unlock()
	return os.WriteFile(dst, b, 0o644)
}

func (s *fakeStore) LayoutBytes(_ context.Context, target string, _ *session.Manifest) ([]byte, error) {
	return os.ReadFile(s.LayoutPath(target))
}

func (s *fakeStore) SaveDependencies(session.Dependencies) error { return nil }

// fakePusher records what it was asked to show.
type fakePusher struct {
	mu      sync.Mutex
	paths   []string
	layouts []*ipc.Layout
	notes   []string
	pushed  chan string // each push, if set
	probed  []string    // what Probe returns once
}

func (p *fakePusher) Push(_ context.Context, l *ipc.Layout) (string, error) {
	p.mu.Lock()
	p.paths = append(p.paths, l.Path)
	p.layouts = append(p.layouts, l)
	p.mu.Unlock()
	if p.pushed != nil {
		p.pushed <- l.Path
	}
	return "reload", nil
}

func (p *fakePusher) Note(_ context.Context, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, text)
	return nil
}

// waitNotes waits until n notes were shown (the pipeline sends them in
// the background) and returns them.
func (p *fakePusher) waitNotes(t *testing.T, n int) []string {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		p.mu.Lock()
		notes := slices.Clone(p.notes)
		p.mu.Unlock()
		if len(notes) >= n || time.Now().After(end) {
			return notes
		}
	}
}

func (p *fakePusher) Probe(context.Context) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.probed
	p.probed = nil
	return out
}

func (p *fakePusher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.paths)
}

// testProject writes files into a new git checkout and resolves it as the
// loop would, with the targets given (a lywatch.toml's [[targets]]).
func testProject(t *testing.T, files map[string]string, targets ...config.Target) *project.Project {
	t.Helper()
	dir := t.TempDir()
	files[".git/HEAD"] = ""
	for name, text := range files {
		writeTestFile(t, filepath.Join(dir, name), text)
	}
	cfg := config.Default()
	cfg.Dir, cfg.Watch, cfg.NoSession = dir, []string{dir}, true
	for _, tg := range targets {
		tg.Output = filepath.Join(dir, tg.Output)
		for i, e := range tg.Entry {
			tg.Entry[i] = filepath.Join(dir, e)
		}
		cfg.Targets = append(cfg.Targets, tg)
	}
	p, err := project.Resolve(cfg, project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeTestFile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeLayout writes a layout with the cells given (name -> children; each
// cell has one box whose size is given by size[name], default 10).
func writeLayout(t *testing.T, path string, cells map[string][]string, size map[string]int32) {
	t.Helper()
	lib := &gds.Library{Name: "LIB", UserUnit: 0.001, DBU: 1e-9}
	for name, kids := range cells {
		s := size[name]
		if s == 0 {
			s = 10
		}
		c := &gds.Cell{Name: name, Shapes: []gds.Shape{{Kind: gds.Boundary, Layer: 1,
			XY: []gds.Point{{X: 0, Y: 0}, {X: 0, Y: s}, {X: s, Y: s}, {X: s, Y: 0}, {X: 0, Y: 0}}}}}
		for _, k := range kids {
			c.Refs = append(c.Refs, gds.Ref{Name: k})
		}
		lib.Cells = append(lib.Cells, c)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := gds.WriteFile(path, lib); err != nil {
		t.Fatal(err)
	}
}
