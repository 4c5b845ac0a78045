package pipeline

import (
	"context"
	"fmt"
)

// restoreStage makes a target the session serves whole again on disk: its
// output file is the cached layout again when it is missing or differs (a
// build elsewhere, a deleted build folder). The stored layout is checked
// against its manifest, and read as GDS, before anything is written.
type restoreStage struct{ p *Pipeline }

func (restoreStage) name() string { return "restore" }

func (s restoreStage) run(ctx context.Context, b *built) (string, error) {
	p, key, out := s.p, b.target.Key(), b.target.Output
	if out == "" || p.store == nil {
		return "", errQuiet
	}
	p.mu.Lock()
	m := p.manifests[key]
	p.mu.Unlock()
	if m == nil {
		return "", fmt.Errorf("session: %s: no cached layout", key)
	}
	if err := p.store.RestoreLayout(ctx, key, m, out); err != nil {
		return "", err
	}
	return "", errQuiet // the summary says "from the cache" already
}
