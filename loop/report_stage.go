package loop

import "time"

// CellChanges names the cells a good build changed: what the read stage
// reports.
type CellChanges struct {
	// Changed are the cells that are new or whose content, or a
	// descendant's, changed since the last good layout; sorted.
	Changed []string `json:"changed"`
	// Removed are the cells of the last good layout that are gone; sorted.
	Removed []string `json:"removed"`
}

// TraceReport lists the frames a build traced while it ran (the trace
// stage).
type TraceReport struct {
	// Frames are the frames kept, in the order the build wrote them.
	Frames []TraceFrame `json:"frames"`
	// Dropped counts the frames past the trace's bounds: counted, not kept.
	Dropped int `json:"dropped,omitzero"`
}

// TraceFrame is one traced frame.
type TraceFrame struct {
	// Step numbers the build's frames from 1.
	Step  int       `json:"step"`
	Label string    `json:"label,omitzero"`
	Cell  string    `json:"cell,omitzero"`
	Time  time.Time `json:"time"`
	// Bytes is the size of its layout.
	Bytes int64 `json:"bytes"`
}

// FrameReport says which history frame holds a good build's layout (the
// history stage).
type FrameReport struct {
	// Seq is the frame's number, as `lywatch history` shows it.
	Seq int `json:"seq"`
	// Added is false when the layout was identical to the last frame's:
	// no frame was added, and Seq is that frame.
	Added bool `json:"added"`
	// TraceSteps is the number of trace steps kept with the frame.
	TraceSteps int `json:"trace_steps,omitzero"`
}
