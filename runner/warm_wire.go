package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The messages between a Worker and its driver (warm_driver.py), one JSON
// object a line on the worker's control socket.

// driverInit is the first message to a driver: what to run.
type driverInit struct {
	Op     string   `json:"op"` // "init"
	Kind   string   `json:"kind"`
	Script string   `json:"script,omitempty"`
	Module string   `json:"module,omitempty"`
	Args   []string `json:"args"`
	Roots  []string `json:"roots"`
}

// driverRun asks the driver to run the entry once.
type driverRun struct {
	Op     string   `json:"op"` // "run"
	ID     int64    `json:"id"`
	Env    []string `json:"env"`
	Cwd    string   `json:"cwd"`
	Reload []string `json:"reload"`
	Files  []string `json:"files"`
	Marker string   `json:"marker"`
}

// The kinds of driverMsg.
const (
	opHello = "hello" // the driver started: Pid, Version
	opDone  = "done"  // a run ended: ID, Exit, Stopped
	opStale = "stale" // a run was refused, the worker must be replaced: ID, Why
)

// driverMsg is what a driver says.
type driverMsg struct {
	Op      string `json:"op"`
	ID      int64  `json:"id"`
	Exit    int    `json:"exit"`
	Stopped bool   `json:"stopped"`
	Why     string `json:"why"`
	Pid     int    `json:"pid"`
	Version string `json:"version"`
}

// maxDriverLine bounds one line of a driver.
const maxDriverLine = 1 << 20

// parseDriverMsg reads one line from a driver (without its newline).
func parseDriverMsg(line []byte) (driverMsg, error) {
	var m driverMsg
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return driverMsg{}, fmt.Errorf("driver message %.80q: %w", line, err)
	}
	if d.More() {
		return driverMsg{}, fmt.Errorf("driver message %.80q: more after the object", line)
	}
	switch {
	case m.Op == opHello && m.Pid <= 0:
		return driverMsg{}, fmt.Errorf("driver message %.80q: hello without a pid", line)
	case m.Op == opDone && (m.ID <= 0 || m.Exit < 0 || m.Exit > 255):
		return driverMsg{}, fmt.Errorf("driver message %.80q: done needs an id and an exit status from 0 to 255", line)
	case m.Op == opStale && (m.ID <= 0 || m.Why == ""):
		return driverMsg{}, fmt.Errorf("driver message %.80q: stale needs an id and a reason", line)
	case m.Op != opHello && m.Op != opDone && m.Op != opStale:
		return driverMsg{}, fmt.Errorf("driver message %.80q: unknown op %.20q", line, m.Op)
	}
	return m, nil
}
