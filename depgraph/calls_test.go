package depgraph

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// callRecord is one factory's run under scripts/calloracle.py: the units
// it called, the files it opened and the packages it called into, each
// with the chain of calls from the factory down to it.
type callRecord struct {
	Factory  string              `json:"factory"`
	Error    string              `json:"error"`
	Calls    map[string][]string `json:"calls"`
	Files    map[string][]string `json:"files"`
	Packages map[string][]string `json:"packages"`
}

// editPoint is where a statement can be added at the end of a unit's body.
type editPoint struct {
	Unit   string `json:"unit"`
	File   string `json:"file"`
	After  int    `json:"after"`
	Indent int    `json:"indent"`
}

// oracleConfig is calloracle.py's configuration.
type oracleConfig struct {
	Mode      string   `json:"mode,omitempty"`
	Roots     []string `json:"roots"`
	Paths     []string `json:"paths,omitempty"`
	Sites     []string `json:"sites,omitempty"`
	Packages  []string `json:"packages,omitempty"`
	Imports   []string `json:"imports,omitempty"`
	Factories []string `json:"factories,omitempty"`
	Out       string   `json:"out"`
}

// runCallOracle runs scripts/calloracle.py with cfg, by python3 or, when
// klayout is set, in KLayout's batch mode, and returns its output lines.
func runCallOracle(t *testing.T, cfg oracleConfig, klayout string) [][]byte {
	t.Helper()
	dir := t.TempDir()
	cfg.Out = filepath.Join(dir, "out.jsonl")
	b, _ := json.Marshal(cfg)
	conf := filepath.Join(dir, "config.json")
	if err := os.WriteFile(conf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repoRoot(t), "scripts", "calloracle.py")
	var cmd *exec.Cmd
	if klayout != "" {
		cmd = exec.Command(klayout, "-b", "-r", script, "-rd", "config="+conf)
		cmd.Env = append(os.Environ(), "HOME="+dir)
	} else {
		cmd = exec.Command(python(t), script, conf)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("calloracle: %v\n%s", err, out)
	}
	out, err := os.ReadFile(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	return lines
}

// oracleEnv is a project, its graph, and what the oracle saw its
// factories run.
type oracleEnv struct {
	t      *testing.T
	g      *Graph
	site   string
	runs   []callRecord           // by factory, sorted
	points map[string]editPoint   // by unit
	units  map[string]*node       // node names -> nodes, for units
	files  map[string][]string    // file key -> factories that opened it
	pkgs   map[string][]string    // package -> factories that called into it
	ran    map[string][]string    // unit -> factories that ran it
	chains map[[2]string][]string // (factory, unit, file or package) -> chain
}

// newOracleEnv scans the project, runs every factory of the given
// modules under the oracle and works out, per unit, data file and
// package, which factories really run or read it.
func newOracleEnv(t *testing.T, opts Options, cfg oracleConfig, modules []string, klayout string) *oracleEnv {
	t.Helper()
	g, err := Scan(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if errs := g.Errors(); len(errs) > 0 {
		t.Fatalf("scan errors: %v", errs)
	}
	e := &oracleEnv{t: t, g: g, units: map[string]*node{}, points: map[string]editPoint{},
		files: map[string][]string{}, pkgs: map[string][]string{}, ran: map[string][]string{}, chains: map[[2]string][]string{}}
	for _, n := range g.nodes {
		switch n.kind {
		case kindModule, kindDef, kindMethod:
			e.units[n.name] = n
		}
		if n.factory() && slices.ContainsFunc(modules, func(m string) bool { return n.module == m || strings.HasPrefix(n.module, m+".") }) {
			cfg.Factories = append(cfg.Factories, n.module+":"+n.short)
		}
	}
	sort.Strings(cfg.Factories)
	for _, line := range runCallOracle(t, cfg, klayout) {
		var r callRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("oracle output %q: %v", line, err)
		}
		if r.Error != "" {
			t.Errorf("factory %s failed under the oracle: %s", r.Factory, r.Error)
		}
		e.runs = append(e.runs, r)
		for u, chain := range r.Calls {
			n := e.unitNode(u)
			if n == nil {
				t.Errorf("%s ran %s, which the graph does not know (chain %s)", r.Factory, u, strings.Join(chain, " -> "))
				continue
			}
			e.ran[n.name] = append(e.ran[n.name], r.Factory)
			e.chains[[2]string{r.Factory, n.name}] = chain
		}
		for f, chain := range r.Files {
			key := g.rel(f)
			e.files[key] = append(e.files[key], r.Factory)
			e.chains[[2]string{r.Factory, "file " + key}] = chain
		}
		for p, chain := range r.Packages {
			e.pkgs[p] = append(e.pkgs[p], r.Factory)
			e.chains[[2]string{r.Factory, "package " + p}] = chain
		}
	}
	if len(e.runs) != len(cfg.Factories) {
		t.Fatalf("the oracle ran %d factories of %d", len(e.runs), len(cfg.Factories))
	}
	cfg.Mode, cfg.Factories = "edits", nil
	for _, line := range runCallOracle(t, cfg, "") {
		var p editPoint
		if err := json.Unmarshal(line, &p); err != nil {
			t.Fatal(err)
		}
		e.points[p.Unit] = p
	}
	return e
}

// unitNode finds the node of an oracle unit, or of the unit enclosing it
// (a method of a nested class counts as the class).
func (e *oracleEnv) unitNode(u string) *node {
	for u != "" {
		if n := e.units[u]; n != nil {
			return n
		}
		i := strings.LastIndexByte(u, '.')
		if i < 0 {
			return nil
		}
		u = u[:i]
	}
	return nil
}

// checkSuperset checks that each factory's static dependencies hold what
// the oracle saw it run, read and call into.
func (e *oracleEnv) checkSuperset() {
	t := e.t
	observed, static := 0, 0
	for _, r := range e.runs {
		f := e.units[r.Factory]
		if f == nil || !f.factory() {
			t.Errorf("oracle factory %s is not a factory of the graph", r.Factory)
			continue
		}
		deps := closure(f)
		static += len(deps) - 1
		check := func(what string, n *node, chain []string) {
			observed++
			if n == nil || !deps[n] {
				t.Errorf("factory %s runs %s, which its static dependencies lack; the calls: %s", r.Factory, what, strings.Join(chain, " -> "))
			}
		}
		for u, chain := range r.Calls {
			check(u, e.unitNode(u), chain)
		}
		for p, chain := range r.Files {
			n := e.g.nodes[fileID(e.g.rel(p))]
			if n != nil && len(n.rdeps) == 0 {
				n = f // no code names it: every factory may read it (an edit reaches them all)
			}
			check("file "+p, n, chain)
		}
		for p, chain := range r.Packages {
			check("package "+p, e.g.nodes[packageID(p)], chain)
		}
	}
	t.Logf("%d factories: %d units, files and packages observed, within %d static dependencies (summed over the factories)", len(e.runs), observed, static)
}

// edited is the outcome of one edit: the factories the oracle says run the
// edited thing, and those the graph invalidated.
type edited struct {
	what              string
	oracle, invalidad []string
}

// check fails for every factory the oracle says runs what was edited and
// the invalidation misses, printing the chain of calls that reaches it.
func (e *oracleEnv) check(what, key string, runners []string, inv *Invalidation) edited {
	e.t.Helper()
	for _, f := range runners {
		if !inv.Stale(f) {
			e.t.Errorf("edit of %s: factory %s runs it but is not invalidated; the calls that reach it: %s", what, f, strings.Join(e.chains[[2]string{f, key}], " -> "))
		}
	}
	var facts []string
	for _, r := range e.runs {
		if inv.Stale(r.Factory) {
			facts = append(facts, r.Factory)
		}
	}
	return edited{what, slices.Compact(slices.Sorted(slices.Values(runners))), facts}
}

// editUnit adds a statement at the end of a unit's body, updates the
// graph, restores the file and updates again; it returns the invalidation
// of the edit.
func (e *oracleEnv) editUnit(unit string) *Invalidation {
	e.t.Helper()
	p, ok := e.points[unit]
	if !ok {
		e.t.Fatalf("no edit point for %s", unit)
	}
	orig, err := os.ReadFile(p.File)
	if err != nil {
		e.t.Fatal(err)
	}
	lines := strings.SplitAfter(string(orig), "\n")
	edit := strings.Join(lines[:p.After], "") + strings.Repeat(" ", p.Indent) + "_lywatch_edit = 1\n" + strings.Join(lines[p.After:], "")
	return e.around(p.File, []byte(edit), orig)
}

// around writes content to path, updates, writes orig back and updates.
func (e *oracleEnv) around(path string, content, orig []byte) *Invalidation {
	e.t.Helper()
	if err := os.WriteFile(path, content, 0o644); err != nil {
		e.t.Fatal(err)
	}
	inv, err := e.g.Update(context.Background(), []string{path})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(inv.Errors) > 0 {
		e.t.Fatalf("the edit does not scan: %v", inv.Errors)
	}
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.g.Update(context.Background(), []string{path}); err != nil {
		e.t.Fatal(err)
	}
	return inv
}

// editFile appends a line to a data file and updates.
func (e *oracleEnv) editFile(key string) *Invalidation {
	e.t.Helper()
	p := e.g.abs(key)
	orig, err := os.ReadFile(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.around(p, append(append([]byte(nil), orig...), "\n"...), orig)
}

// bumpPackage renames a package's dist-info to another version and
// refreshes the packages; then it renames it back.
func (e *oracleEnv) bumpPackage(top string) *Invalidation {
	e.t.Helper()
	infos, _ := filepath.Glob(filepath.Join(e.site, top+"-*.dist-info"))
	if len(infos) != 1 {
		e.t.Fatalf("dist-info of %s: %v", top, infos)
	}
	bumped := filepath.Join(e.site, top+"-99.0.dist-info")
	if err := os.Rename(infos[0], bumped); err != nil {
		e.t.Fatal(err)
	}
	inv, err := e.g.RefreshPackages(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(bumped, infos[0]); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.g.RefreshPackages(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return inv
}

// editEverything edits, one at a time, every unit, data file and package
// the oracle saw a factory run, and checks each invalidation; it prints
// how much larger than the oracle's the invalidated sets are, and fails
// when, summed over the edits, they are more than bound times as large.
func (e *oracleEnv) editEverything(bound float64) []edited {
	var out []edited
	for _, unit := range slices.Sorted(mapKeys(e.ran)) {
		if _, ok := e.points[unit]; !ok {
			continue // module-level code, a one-line def: nothing to add a statement to
		}
		out = append(out, e.check(unit, unit, e.ran[unit], e.editUnit(unit)))
	}
	for _, key := range slices.Sorted(mapKeys(e.files)) {
		out = append(out, e.check("file "+key, "file "+key, e.files[key], e.editFile(key)))
	}
	for _, p := range slices.Sorted(mapKeys(e.pkgs)) {
		if e.site != "" {
			out = append(out, e.check("package "+p, "package "+p, e.pkgs[p], e.bumpPackage(p)))
		}
	}
	oracle, inv := 0, 0
	for _, x := range out {
		oracle += len(x.oracle)
		inv += len(x.invalidad)
	}
	ratio := float64(inv) / float64(max(oracle, 1))
	e.t.Logf("%d edits: the oracle's factories %d in all, the graph's %d (%.2f times as many; %d factories)", len(out), oracle, inv, ratio, len(e.runs))
	if ratio > bound {
		e.t.Errorf("over-invalidation: the graph invalidates %.2f times as many factories as the oracle sees run the edits, above the bound of %.2f", ratio, bound)
	}
	if testing.Verbose() {
		for _, x := range out {
			e.t.Logf("  %-60s oracle %3d  invalidated %3d", x.what, len(x.oracle), len(x.invalidad))
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// idiomFixture copies testdata/oracle to a temporary directory, installs
// kfcheckout there in editable mode and fakenp as a distribution, and
// runs the oracle on every factory of the fixture.
func idiomFixture(t *testing.T) *oracleEnv {
	t.Helper()
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "oracle"), root)
	site := filepath.Join(root, "venv", "site-packages")
	copyTree(t, filepath.Join(root, "installed"), site)
	write(t, site, "kf.pth", filepath.Join(root, "kfcheckout", "src")+"\n")
	proj := filepath.Join(root, "proj")
	opts := Options{Dir: proj, SitePackages: []string{site}, Include: []string{"*.lyp", "**/*.pic.yml"},
		Targets: []Target{{Name: "chip", Entries: []string{"mypdk/cells.py"}}}}
	cfg := oracleConfig{Roots: []string{proj, filepath.Join(root, "kfcheckout", "src")}, Sites: []string{site}, Packages: []string{site}, Imports: []string{"mypdk"}}
	e := newOracleEnv(t, opts, cfg, []string{"mypdk", "gf"}, "")
	e.site = site
	return e
}

// TestOracleCallsIdioms runs every factory of the idiom fixture under the
// profiler and checks that the static graph depends on everything each
// really runs, then edits everything any of them runs and checks that
// every factory running it is invalidated.
func TestOracleCallsIdioms(t *testing.T) {
	e := idiomFixture(t)
	e.checkSuperset()
	e.editEverything(2.5) // 1.80 when the bound was set
}

// TestOracleCallsEachIdiom names, idiom by idiom, an edit and a factory
// the oracle must see running the edited code (so the fixture does
// exercise the idiom), and checks that the edit invalidates it.
func TestOracleCallsEachIdiom(t *testing.T) {
	e := idiomFixture(t)
	tests := []struct{ idiom, edit, factory string }{
		{"decorator cell_with_module_name", "unit mypdk.cells.alias_user", "mypdk.cells.alias_user"},
		{"decorator cell with arguments", "unit mypdk.cells.lyp_user", "mypdk.cells.lyp_user"},
		{"decorator of a layout object (@kcl.cell)", "unit mypdk.cells.kf_user", "mypdk.cells.kf_user"},
		{"the layout object's decorator code (editable install)", "unit kf.layout.KCLayout.cell", "mypdk.cells.kf_user"},
		{"vcell = partial(kcl.cell)", "unit mypdk.cells.kf_vuser", "mypdk.cells.kf_vuser"},
		{"decorator gf.vcell", "unit mypdk.cells.gf_vuser", "mypdk.cells.gf_vuser"},
		{"private wrapper _kcell = kf.partial(kcl.cell)", "unit mypdk.cells.kf_partial_user", "mypdk.cells.kf_partial_user"},
		{"the kf.partial wrapper's decorator code", "unit kf.layout.KCLayout.cell", "mypdk.cells.kf_partial_user"},
		{"private wrapper _cell = partial(gf.cell)", "unit mypdk.cells.private_partial", "mypdk.cells.private_partial"},
		{"private wrapper _cell = gf.cell(...)", "unit mypdk.cells.add_marker", "mypdk.cells.private_factory"},
		{"module alias gf.c", "unit gf.components.tapers.taper.taper", "mypdk.cells.alias_user"},
		{"attribute chain through packages", "unit gf.components.tapers.taper.taper", "mypdk.cells.chain_user"},
		{"import x.y as z", "unit gf.components.tapers.taper_from_csv.taper_from_csv", "mypdk.cells.tp_user"},
		{"star re-export honouring __all__", "unit gf.components.tapers.taper._points", "mypdk.cells.alias_user"},
		{"module-level rebinding", "unit gf.components.tapers.taper.taper", "mypdk.cells.rebinding_user"},
		{"rebinding used as a default", "unit gf.components.tapers.taper.taper", "gf.components.mmis.mmi1x2.mmi1x2"},
		{"partial as a default argument", "unit gf.components.tapers.taper.taper", "mypdk.cells.default_partial"},
		{"gf.partial as a default argument", "unit gf.components.tapers.taper.taper", "mypdk.cells.gf_partial_user"},
		{"partial re-exported", "unit gf.components.tapers.taper.taper_strip_to_ridge", "mypdk.cells.slab_user"},
		{"dict of factories", "unit gf.components.waveguides.straight", "mypdk.cells.registry_user"},
		{"list of factories", "unit gf.components.bends.bend_euler", "mypdk.cells.list_user"},
		{"string call argument", "unit gf.components.bends.bend_euler", "mypdk.cells.string_arg"},
		{"string default", "unit gf.components.bends.bend_circular", "mypdk.cells.string_default"},
		{"string default in the library", "unit gf.components.bends.bend_euler", "gf.components.couplers.coupler90"},
		{"string registry value", "unit gf.components.bends.bend_circular", "mypdk.cells.string_registry"},
		{"string in a dict spec", "unit gf.components.waveguides.straight", "mypdk.cells.spec_dict"},
		{"string naming a cross-section", "unit gf.cross_section.strip", "gf.components.waveguides.straight"},
		{"method", "unit gf.component.ComponentBase.mirror", "mypdk.cells.methods_b"},
		{"method through self", "unit gf.component.ComponentBase.get_polygons", "mypdk.cells.methods_c"},
		{"method of a base class through super()", "unit gf.component.ComponentBase.__init__", "mypdk.cells.methods_a"},
		{"property", "unit gf.component.ComponentReference.ports", "mypdk.cells.methods_b"},
		{"special method (c << x)", "unit gf.component.ComponentBase.__lshift__", "mypdk.cells.list_user"},
		{"a factory called by a method (rectangle)", "unit gf.components.shapes.rectangle", "gf.components.mmis.mmi1x2.mmi1x2"},
		{"data file by a module-level path", "file mypdk/data/ring.csv", "mypdk.cells.csv_user"},
		{"data file by os.path.join", "file mypdk/gds/logo.gds", "mypdk.cells.gds_user"},
		{"data file by Path(__file__).parent /", "file gf/components/tapers/data/taper_strip.csv", "gf.components.tapers.taper_from_csv.taper_from_csv"},
		{"*.pic.yml", "file mypdk/top.pic.yml", "mypdk.cells.yaml_user"},
		{"*.lyp by a glob (an include glob)", "file mypdk/layers.lyp", "mypdk.cells.lyp_user"},
		{"installed package upgraded", "package fakenp", "mypdk.cells.numpy_user"},
	}
	for _, tt := range tests {
		t.Run(tt.idiom, func(t *testing.T) {
			e.t = t
			kind, what, _ := strings.Cut(tt.edit, " ")
			var runners []string
			var inv *Invalidation
			switch kind {
			case "unit":
				runners = e.ran[what]
				inv = e.editUnit(what)
			case "file":
				runners = e.files[what]
				inv = e.editFile(what)
			case "package":
				runners = e.pkgs[what]
				inv = e.bumpPackage(what)
			}
			if !slices.Contains(runners, tt.factory) {
				t.Fatalf("the oracle did not see %s run %s (runners %v): the fixture does not exercise the idiom", tt.factory, what, runners)
			}
			x := e.check(tt.edit, map[string]string{"unit": what}[kind]+map[string]string{"file": "file " + what, "package": "package " + what}[kind], runners, inv)
			t.Logf("%s: the oracle's factories %d, invalidated %d", tt.edit, len(x.oracle), len(x.invalidad))
		})
	}
}

// TestOracleCallsClassMethods edits each method of the class-heavy
// Component of the idiom fixture: each edit must invalidate every factory
// that runs the method (as TestOracleCallsIdioms checks), and most must
// invalidate fewer factories than use the class, where counting the class
// as one unit invalidated them all.
func TestOracleCallsClassMethods(t *testing.T) {
	e := idiomFixture(t)
	var users []string
	for _, r := range e.runs {
		deps := closure(e.units[r.Factory])
		if deps[e.units["gf.component.Component"]] {
			users = append(users, r.Factory)
		}
	}
	fewer, all := 0, 0
	var lines []string
	for _, class := range []string{"gf.component.ComponentBase", "gf.component.Component"} {
		for _, m := range e.units[class].def.Methods {
			unit := class + "." + m.Name
			if _, ok := e.points[unit]; !ok {
				continue
			}
			x := e.check(unit, unit, e.ran[unit], e.editUnit(unit))
			n := 0
			for _, f := range x.invalidad {
				if slices.Contains(users, f) {
					n++
				}
			}
			if n < len(users) {
				fewer++
			}
			all++
			lines = append(lines, fmt.Sprintf("%-45s runs in %2d factories, invalidates %2d of the class's %d users", unit, len(x.oracle), n, len(users)))
		}
	}
	t.Logf("%d of %d methods of Component invalidate fewer factories than use the class (%d):\n%s", fewer, all, len(users), strings.Join(lines, "\n"))
	if len(users) < 30 || fewer < all*2/3 {
		t.Errorf("only %d of %d method edits invalidate fewer than the %d factories using the class", fewer, all, len(users))
	}
}

// TestOracleCallsPDK runs the example PDK's factories under the profiler
// in KLayout's batch mode (the PDK needs pya), checks the static graph
// against what they run, and edits everything they run.
func TestOracleCallsPDK(t *testing.T) {
	kl := testsupport.KLayout(t)
	dir := testsupport.CopyPDK(t)
	opts := Options{Dir: dir, Targets: []Target{{Name: "chip", Entries: []string{"build.py"}}}}
	cfg := oracleConfig{Roots: []string{dir}, Imports: []string{"mypdk"}}
	e := newOracleEnv(t, opts, cfg, []string{"chip", "mypdk"}, kl)
	e.checkSuperset()
	e.editEverything(1.2) // 1.02 when the bound was set
}
