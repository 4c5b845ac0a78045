package runner

import "fmt"

// OnBusy says what a change arriving during a build does.
type OnBusy int

const (
	// Restart stops the running build (its whole process group) and starts
	// again with the merged changes. The default.
	Restart OnBusy = iota
	// Queue lets the running build finish, then runs once more with every
	// change that arrived meanwhile.
	Queue
)

// String returns "restart" or "queue".
func (o OnBusy) String() string {
	switch o {
	case Restart:
		return "restart"
	case Queue:
		return "queue"
	}
	return fmt.Sprintf("OnBusy(%d)", int(o))
}

// ParseOnBusy parses "restart" or "queue" ("" = restart).
func ParseOnBusy(s string) (OnBusy, error) {
	switch s {
	case "", "restart":
		return Restart, nil
	case "queue":
		return Queue, nil
	}
	return Restart, fmt.Errorf("on_busy %q: want restart or queue", s)
}
