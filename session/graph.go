package session

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The stored graph is named by its content (graph-<hash>.json): Save writes
// a new one before the manifest commits and never overwrites the one the
// committed manifest names, so a crash at any instant leaves the old
// manifest with its own graph. Files no manifest names are dropped after
// the commit.
const (
	graphPrefix = "graph-"
	graphSuffix = ".json"
)

// storeGraph writes a manifest's graph into tdir and describes it; an empty
// graph writes nothing.
func storeGraph(tdir string, graph json.RawMessage) (Layout, error) {
	if len(graph) == 0 {
		return Layout{}, nil
	}
	sum := sha256.Sum256(graph)
	h := hex.EncodeToString(sum[:])
	l := Layout{File: graphPrefix + h[:16] + graphSuffix, SHA256: h, Size: int64(len(graph))}
	p := filepath.Join(tdir, l.File)
	if st, err := os.Stat(p); err == nil && st.Size() == l.Size {
		return l, nil // named by its content: already there (LoadGraph checks the hash)
	}
	if err := WriteFileAtomic(p, graph, filePerm); err != nil {
		return Layout{}, err
	}
	return l, nil
}

// dropGraphs removes the stored graphs of tdir other than keep.
func dropGraphs(tdir, keep string) {
	names, _ := filepath.Glob(filepath.Join(tdir, graphPrefix+"*"+graphSuffix))
	for _, n := range names {
		if filepath.Base(n) != keep {
			os.Remove(n)
		}
	}
}

// LoadGraph returns the graph saved with m, a manifest Load returned for
// target; nil when none was saved. A missing or damaged file is a *Warning:
// treat the graph as lost and rebuild it.
func (s *Store) LoadGraph(target string, m *Manifest) (json.RawMessage, error) {
	if m == nil || m.GraphFile.File == "" {
		return nil, nil
	}
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	p := filepath.Join(s.TargetDir(target), m.GraphFile.File)
	warn := func(err error) (json.RawMessage, error) { return nil, &Warning{Path: s.rel(p), Err: err} }
	if !strings.HasPrefix(m.GraphFile.File, graphPrefix) {
		return warn(fmt.Errorf("not a graph file name"))
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return warn(err)
	}
	sum := sha256.Sum256(b)
	if int64(len(b)) != m.GraphFile.Size || hex.EncodeToString(sum[:]) != m.GraphFile.SHA256 {
		return warn(fmt.Errorf("graph %w", errLayoutMismatch))
	}
	return b, nil
}
