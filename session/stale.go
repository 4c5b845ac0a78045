package session

import "sort"

// Staleness is what a set of changed files reaches through a manifest's
// recorded data. It is an estimate from the saved graph for display (the
// dependency graph itself decides what to rebuild).
type Staleness struct {
	// Files are the changed files given; Functions, Factories and Cells what
	// they reach, sorted.
	Files     []string `json:"files"`
	Functions []string `json:"functions,omitempty"`
	Factories []string `json:"factories,omitempty"`
	Cells     []string `json:"cells,omitempty"`
}

// Stale follows the manifest from changed root-relative files: every node
// that depends on them through Edges (From depends on To), every factory
// defined in a changed file or reached, every cell made by a stale factory
// or reached, and every cell that uses a stale cell.
func (m *Manifest) Stale(changed []string) *Staleness {
	users := map[string][]string{}
	for _, e := range m.Edges {
		users[e.To] = append(users[e.To], e.From)
	}
	reached := map[string]bool{}
	for _, c := range changed {
		reached[c] = true
	}
	spread(reached, changed, users)
	s := &Staleness{Files: sortedCopy(changed)}
	for name := range m.Functions {
		if reached[name] {
			s.Functions = append(s.Functions, name)
		}
	}
	staleFactory := map[string]bool{}
	for name, f := range m.Factories {
		if reached[name] || (f.File != "" && reached[f.File]) {
			staleFactory[name] = true
			s.Factories = append(s.Factories, name)
		}
	}
	parents := map[string][]string{}
	staleCell := map[string]bool{}
	var staleCells []string
	for _, c := range m.Cells {
		for _, ch := range c.Children {
			parents[ch] = append(parents[ch], c.Name)
		}
		if reached[c.Name] || (c.Factory != "" && staleFactory[c.Factory]) {
			staleCell[c.Name] = true
			staleCells = append(staleCells, c.Name)
		}
	}
	spread(staleCell, staleCells, parents)
	for n := range staleCell {
		s.Cells = append(s.Cells, n)
	}
	sort.Strings(s.Functions)
	sort.Strings(s.Factories)
	sort.Strings(s.Cells)
	return s
}

// spread marks in seen every node reachable from start through next
// (breadth first); the start nodes must be marked already.
func spread(seen map[string]bool, start []string, next map[string][]string) {
	queue := append([]string(nil), start...)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, u := range next[n] {
			if !seen[u] {
				seen[u] = true
				queue = append(queue, u)
			}
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
