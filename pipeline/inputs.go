package pipeline

import "slices"

// watchInputs tells Inputs of the files the graph reads that the watched
// roots' globs may not cover: the data files (those the code names and
// those the include globs match), and the editable installs outside the
// project (whole trees). It is called with
// p.mu held after the graph loads and after each update, and tells only
// what changed since the last call.
func (p *Pipeline) watchInputs() {
	if p.in == nil || p.graph == nil {
		return
	}
	for _, r := range p.graph.ExtraRoots() {
		if p.roots[r] {
			continue
		}
		p.roots[r] = true
		if err := p.in.AddRoot(r); err != nil {
			p.logf("watch %s: %v", r, err)
		}
	}
	files := p.graph.DataFiles()
	if slices.Equal(files, p.tracked) {
		return
	}
	p.tracked = files
	if err := p.in.Track(files); err != nil {
		p.logf("watch the data files: %v", err)
	}
}
