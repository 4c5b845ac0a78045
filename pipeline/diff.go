package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lywatch/lywatch/geomdiff"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/session"
)

// RDBShower shows a report database in KLayout; the Pusher KLayout
// returns is one. The diff stage uses it when the pusher is one.
type RDBShower interface {
	// ShowRDB shows the report database at path with the layout last
	// pushed, replacing the one shown before. The note says what KLayout
	// did.
	ShowRDB(ctx context.Context, path string) (note string, err error)
}

// keepPreviousStage keeps, before the save replaces it, a target's last
// good layout from the session as the one the diff stage compares the
// next build with (Options.DiffDir). It runs beside read (a build) or
// restore (the cache), and only while the folder holds none.
type keepPreviousStage struct{ p *Pipeline }

func (keepPreviousStage) name() string { return "keep" }

func (s keepPreviousStage) run(ctx context.Context, b *built) (string, error) {
	p, key := s.p, b.target.Key()
	if p.diffDir == "" || p.store == nil || exists(p.diffPath(key, "prev.gds")) {
		return "", errQuiet
	}
	p.mu.Lock()
	m := p.manifests[key]
	p.mu.Unlock()
	if m == nil {
		return "", errQuiet
	}
	data, err := p.store.LayoutBytes(ctx, key, m)
	if err != nil {
		p.logf("show diff: %s: no previous layout to compare with: %v", key, err)
		return "", errQuiet
	}
	if err := session.WriteFileAtomic(p.diffPath(key, "prev.gds"), data, 0o600); err != nil {
		p.logf("show diff: %v", err)
	}
	return "", errQuiet
}

// diffStage compares a good build's layout with the target's previous
// good layout by KLayout's XOR of the cells whose hashes differ (package
// geomdiff) and shows the result in KLayout as a report database, which
// replaces the one shown after the build before. It runs after the push
// and the save: showing the layout never waits for it.
type diffStage struct{ p *Pipeline }

func (diffStage) name() string { return "diff" }

func (s diffStage) run(ctx context.Context, b *built) (string, error) {
	p, key := s.p, b.target.Key()
	if p.diffDir == "" || b.data == nil {
		return "", errQuiet
	}
	prev, next := p.diffPath(key, "prev.gds"), p.diffPath(key, "next.gds")
	if err := session.WriteFileAtomic(next, b.data, 0o600); err != nil {
		return "", err
	}
	defer os.Rename(next, prev) // this build is the previous one of the next
	if !exists(prev) {
		return "", errQuiet // the first good layout: nothing to compare with
	}
	p.mu.Lock()
	g := p.graph
	p.mu.Unlock()
	res, err := geomdiff.Compare(ctx, prev, next, geomdiff.Options{
		Factory: FactoryRule(g, b.target.Output), RDB: p.diffPath(key, "lyrdb"),
	})
	if err != nil {
		return "", err
	}
	note := diffNote(res)
	if shower, ok := p.push.(RDBShower); ok && b.target.Output != "" {
		shown, err := shower.ShowRDB(ctx, res.RDB)
		switch {
		case err != nil:
			note += "; not shown: " + err.Error()
		case shown != "":
			note += "; " + shown
		}
	}
	return note, nil
}

// diffNote sums a comparison up for the summary line.
func diffNote(r *geomdiff.Result) string {
	if r.Same {
		return "same geometry"
	}
	area, layers := 0.0, map[string]bool{}
	var names []string
	for _, c := range r.Cells {
		for _, l := range c.Layers {
			area += l.Area
			if !layers[l.String()] {
				layers[l.String()] = true
				names = append(names, l.String())
			}
		}
	}
	if len(names) > 4 {
		names = append(names[:4], "...")
	}
	verb := "differ"
	if len(r.Cells) == 1 {
		verb = "differs"
	}
	return fmt.Sprintf("%s %s: %.4g µm² on %s", plural(len(r.Cells), "cell"), verb, area, strings.Join(names, ", "))
}

// diffPath is a file of the diff folder for a target.
func (p *Pipeline) diffPath(key, suffix string) string {
	return filepath.Join(p.diffDir, safeName(key)+"."+suffix)
}

// ShowRDB shows a report database in every KLayout the pusher pushes to.
func (k *klayout) ShowRDB(ctx context.Context, path string) (string, error) {
	infos, err := k.p.ShowRDB(ctx, path)
	var notes []string
	for _, info := range infos {
		notes = append(notes, fmt.Sprintf("shown, %s", plural(info.Items, "item")))
	}
	switch {
	case err == nil:
	case errors.Is(err, ipc.ErrNoServer):
		notes, err = append(notes, "no KLayout"), nil
	case strings.Contains(err.Error(), "unknown command"):
		notes, err = append(notes, "KLayout's lywatch server does not show report databases: run 'lywatch klayout install' and restart KLayout"), nil
	}
	return strings.Join(notes, ", "), err
}
