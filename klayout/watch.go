package klayout

import (
	"context"
	"os"

	"github.com/fsnotify/fsnotify"
)

// WatchDiscovery tells on the returned channel when a KLayout with
// lywatch's server starts, restarts or stops on this machine (its
// discovery file appears, changes or goes away), so that the loop can show
// it the last good layout at once. It costs nothing at rest (one inotify
// watch on the discovery folder). The channel closes when ctx is done.
func WatchDiscovery(ctx context.Context) (<-chan struct{}, error) {
	dir, err := DiscoveryDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, err
	}
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		defer w.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Op&(fsnotify.Create|fsnotify.Write|fsnotify.Rename|fsnotify.Remove) == 0 {
					continue
				}
				select {
				case out <- struct{}{}:
				default: // one waiting signal is enough
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return out, nil
}
