package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// eventsFile is the file named in EnvEventsFile.
type eventsFile struct {
	path    string
	onDisk  bool   // a temporary file (else a memfd: see writeEvents)
	release func() // removes or closes it
}

// buildEnv returns the build's environment and its events file (nil when
// there is none).
func buildEnv(req Request) ([]string, *eventsFile, error) {
	changed, fits := changedValue(req.Changed, ChangedLimit)
	events := req.Events
	if !fits && events == nil {
		events = changesJSON(req.Changed)
	}
	env := os.Environ()
	var ev *eventsFile
	if events != nil {
		var err error
		if ev, err = writeEvents(events); err != nil {
			return nil, nil, err
		}
		env = append(env, EnvEventsFile+"="+ev.path)
		if !fits {
			changed = "@" + ev.path
		}
	}
	env = append(env, EnvChanged+"="+changed)
	env = append(env, req.Env...)
	return dedupEnv(env), ev, nil
}

// close releases the events file, if any.
func (ev *eventsFile) close() {
	if ev != nil {
		ev.release()
	}
}

// removeOnExit is the path a guard is to remove when it exits: the file
// if it is on disk, so that it goes even when lywatch is killed.
func (ev *eventsFile) removeOnExit() string {
	if ev == nil || !ev.onDisk {
		return ""
	}
	return ev.path
}

// changedValue joins paths one per line for EnvChanged, or reports that
// they take more than limit bytes.
func changedValue(paths []string, limit int) (string, bool) {
	n := max(len(paths)-1, 0)
	for _, p := range paths {
		n += len(p)
		if n > limit {
			return "", false
		}
	}
	return strings.Join(paths, "\n"), true
}

// changesJSON is the events file of a request that brings none but has
// too many paths for EnvChanged: {"changes":[{"path":"/a.py"},...]}, the
// shape of the loop's own.
func changesJSON(paths []string) []byte {
	type change struct {
		Path string `json:"path"`
	}
	doc := struct {
		Changes []change `json:"changes"`
	}{Changes: make([]change, len(paths))}
	for i, p := range paths {
		doc.Changes[i].Path = p
	}
	b, _ := json.Marshal(doc) // strings only: it cannot fail
	return b
}

// writeTemp writes the events file as a temporary file.
func writeTemp(data []byte) (*eventsFile, error) {
	f, err := os.CreateTemp("", "lywatch-events-*.json")
	if err != nil {
		return nil, fmt.Errorf("events file: %w", err)
	}
	name := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return nil, fmt.Errorf("events file %s: %w", name, err)
	}
	return &eventsFile{path: name, onDisk: true, release: func() { os.Remove(name) }}, nil
}

// dedupEnv keeps the last value of each variable, in first-seen order.
func dedupEnv(env []string) []string {
	idx := make(map[string]int, len(env))
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}
