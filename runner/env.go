package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// buildEnv returns the build's environment and a function removing the
// events file.
func buildEnv(req Request) ([]string, func(), error) {
	changed, fits := changedValue(req.Changed, ChangedLimit)
	events := req.Events
	if !fits && events == nil {
		events = changesJSON(req.Changed)
	}
	env := os.Environ()
	cleanup := func() {}
	if events != nil {
		name, remove, err := writeEvents(events)
		if err != nil {
			return nil, nil, err
		}
		env = append(env, EnvEventsFile+"="+name)
		if !fits {
			changed = "@" + name
		}
		cleanup = remove
	}
	env = append(env, EnvChanged+"="+changed)
	env = append(env, req.Env...)
	return dedupEnv(env), cleanup, nil
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

// writeTemp writes the events file as a temporary file; it returns its
// path and the function removing it.
func writeTemp(data []byte) (string, func(), error) {
	f, err := os.CreateTemp("", "lywatch-events-*.json")
	if err != nil {
		return "", nil, fmt.Errorf("events file: %w", err)
	}
	name := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", nil, fmt.Errorf("events file %s: %w", name, err)
	}
	return name, func() { os.Remove(name) }, nil
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
