package gds

import "slices"

// placement is one place a cell is placed at: its parent, by name, and the
// instance's transformation, array and properties (an instance digest
// without the child).
type placement struct {
	parent string
	inst   [16]byte
}

// pairRenames takes the cells of one factory that are only in A and only in
// B out of Removed and Added, as one renamed cell each, where the pairing
// is unambiguous (see DiffOptions.Factory).
func (res *DiffResult) pairRenames(a, b *Library, inA, inB map[string]*Cell, factory func(string, map[string]string) string) {
	removed := byFactory(res.Removed, inA, factory)
	added := byFactory(res.Added, inB, factory)
	pairs := make(map[string]string) // A name -> B name
	taken := make(map[string]bool)   // B names paired
	var ambiguous []string           // factories left to pair by placement
	for f, rs := range removed {
		ds := added[f]
		switch {
		case len(ds) == 0:
		case len(rs) == 1 && len(ds) == 1:
			pairs[rs[0]], taken[ds[0]] = ds[0], true
		default:
			ambiguous = append(ambiguous, f)
		}
	}
	if len(ambiguous) > 0 {
		slices.Sort(ambiguous)
		pairByPlacement(a, b, inB, removed, added, ambiguous, pairs, taken)
	}
	if len(pairs) == 0 {
		return
	}
	for old, nw := range pairs {
		d, _ := diffCell(inA[old], inB[nw])
		res.Changed = append(res.Changed, d)
	}
	res.Removed = slices.DeleteFunc(res.Removed, func(n string) bool { return pairs[n] != "" })
	res.Added = slices.DeleteFunc(res.Added, func(n string) bool { return taken[n] })
}

// byFactory groups the names of cells by factory, leaving out ghost cells
// and cells of no known factory.
func byFactory(names []string, cells map[string]*Cell, factory func(string, map[string]string) string) map[string][]string {
	out := make(map[string][]string)
	for _, n := range names {
		c := cells[n]
		if c.emptyGhost() {
			continue
		}
		if f := factory(n, c.Meta); f != "" {
			out[f] = append(out[f], n)
		}
	}
	return out
}

// pairByPlacement pairs, within each of the factories fs, a cell only in A
// with a cell only in B when they share a placement and neither shares one
// with another cell of the factory. It goes round by round, each round
// seeing the pairs of the rounds before (a renamed parent is known before
// its children are paired), until a round pairs nothing.
func pairByPlacement(a, b *Library, inB map[string]*Cell, removed, added map[string][]string, fs []string,
	pairs map[string]string, taken map[string]bool) {
	want := func(m map[string][]string) map[string]bool {
		s := make(map[string]bool)
		for _, f := range fs {
			for _, n := range m[f] {
				s[n] = true
			}
		}
		return s
	}
	inA := placements(a, want(removed))
	inBPl := placements(b, want(added))
	// where maps a cell of A to its placements with the parent named as in
	// B; placements under a parent not (yet) matched are left out.
	where := func(n string) map[placement]bool {
		out := make(map[placement]bool)
		for _, p := range inA[n] {
			parent := p.parent
			if inB[parent] == nil {
				if parent = pairs[p.parent]; parent == "" {
					continue
				}
			}
			out[placement{parent: parent, inst: p.inst}] = true
		}
		return out
	}
	for {
		var found [][2]string
		for _, f := range fs {
			cand := make(map[string][]string) // A name -> B names sharing a placement
			back := make(map[string]int)      // B name -> number of A names sharing one
			for _, r := range removed[f] {
				if pairs[r] != "" {
					continue
				}
				w := where(r)
				for _, d := range added[f] {
					if taken[d] {
						continue
					}
					for _, p := range inBPl[d] {
						if w[p] {
							cand[r] = append(cand[r], d)
							back[d]++
							break
						}
					}
				}
			}
			for r, ds := range cand {
				if len(ds) == 1 && back[ds[0]] == 1 {
					found = append(found, [2]string{r, ds[0]})
				}
			}
		}
		if len(found) == 0 {
			return
		}
		for _, p := range found {
			pairs[p[0]], taken[p[1]] = p[1], true
		}
	}
}

// placements returns, for each cell named in want, where lib places it.
func placements(lib *Library, want map[string]bool) map[string][]placement {
	out := make(map[string][]placement, len(want))
	for _, c := range lib.Cells {
		for i := range c.Refs {
			r := &c.Refs[i]
			if want[r.Name] {
				out[r.Name] = append(out[r.Name], placement{parent: c.Name, inst: instanceDigest(r, "")})
			}
		}
	}
	return out
}
