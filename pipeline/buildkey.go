package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/lywatch/lywatch/depgraph"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
)

// MetaBuildKey is the manifest entry holding a target's buildKey.
const MetaBuildKey = "build_key"

// buildKey is what a target's last good layout was made with. The session
// serves the target only when all of it is the same now; otherwise lywatch
// says what differs and builds.
type buildKey struct {
	// Command is the target's command and arguments.
	Command []string `json:"command"`
	// Dir is the build's working directory and Output the layout it
	// writes, root-relative.
	Dir    string `json:"dir"`
	Output string `json:"output"`
	// Interpreter runs the build, for a Python or KLayout command.
	Interpreter *interpreter `json:"interpreter,omitempty"`
	// Env holds the LYWATCH_* settings the build inherits (a corner, a
	// variant): those lywatch sets or reads itself are not among them.
	Env map[string]string `json:"env,omitempty"`
	// Packages are the installed packages the sources import, with their
	// versions, as of the build.
	Packages []depgraph.Package `json:"packages,omitempty"`
}

// ownEnv are the LYWATCH_* variables lywatch sets for a build or reads
// itself, KLayout's server's and those of lywatch's tests, demo and
// benchmarks: every variable the README's "Environment variables" lists
// (TestOwnEnvIsTheREADMEs holds the two together). They say nothing about
// what the build makes, and LYWATCH_TOKEN is a secret the manifest must
// never hold. A name ending in "_" stands for all that begin so.
var ownEnv = []string{
	// Set for a build.
	"LYWATCH_CHANGED", "LYWATCH_EVENTS_FILE", "LYWATCH_CYCLE", "LYWATCH_INITIAL", "LYWATCH_TARGET",
	"LYWATCH_INVALIDATED", "LYWATCH_OUTPUT", "LYWATCH_TRACE", "LYWATCH_TRACE_FRAMES", "LYWATCH_TRACE_BYTES",
	"LYWATCH_SESSION_LAYOUT", "LYWATCH_WARM_FD",
	// Read by lywatch.
	"LYWATCH_SESSION_DIR", "LYWATCH_KLAYOUT", "LYWATCH_TOKEN", "LYWATCH_TOKEN_FILE", "LYWATCH_PORT",
	// Read by KLayout's server.
	"LYWATCH_PORT_AUTO", "LYWATCH_LISTEN", "LYWATCH_BIND", "LYWATCH_NAME", "LYWATCH_LYIPC", "LYWATCH_KLIVE",
	"LYWATCH_ALLOW", "LYWATCH_MAX_CONNECTIONS", "LYWATCH_IDLE_TIMEOUT", "LYWATCH_MAX_PAYLOAD",
	"LYWATCH_MAX_LAYOUT", "LYWATCH_LAUNCHED",
	// Development.
	"LYWATCH_REQUIRE_KLAYOUT", "LYWATCH_PYTHON", "LYWATCH_ORACLE_ALL", "LYWATCH_TEST_KLAYOUT",
	"LYWATCH_TEST_TRACE_VIEW", "LYWATCH_TEST_TRACE_LOG", "LYWATCH_DEMO_XVFB", "LYWATCH_FLAGS", "LYWATCH_BENCH_",
}

// isOwnEnv reports whether the variable k is one of ownEnv.
func isOwnEnv(k string) bool {
	for _, o := range ownEnv {
		if k == o || strings.HasSuffix(o, "_") && strings.HasPrefix(k, o) {
			return true
		}
	}
	return false
}

// buildEnv returns the LYWATCH_* settings of environ that a build
// inherits and that may change what it makes.
func buildEnv(environ []string) map[string]string {
	out := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "LYWATCH_") && !isOwnEnv(k) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// recordedKey reads the build key a manifest recorded; nil when none.
func recordedKey(m *session.Manifest) *buildKey {
	if m == nil || m.Meta[MetaBuildKey] == "" {
		return nil
	}
	var k buildKey
	if json.Unmarshal([]byte(m.Meta[MetaBuildKey]), &k) != nil {
		return nil
	}
	return &k
}

// currentKey is a target's build key now. The interpreter's version and
// site-packages come from recorded while its files are unchanged; the
// packages are read again where recorded lists them.
func (p *Pipeline) currentKey(ctx context.Context, t project.Target, recorded *buildKey) (*buildKey, error) {
	if t.Home != nil {
		t = *t.Home // redirected: the session knows the target as configured
	}
	k := &buildKey{Command: t.Command, Env: buildEnv(p.environ())}
	k.Dir, _ = relAny(p.proj.Root, p.proj.Dir)
	if t.Output != "" {
		k.Output, _ = relAny(p.proj.Root, t.Output)
	}
	var was *interpreter
	if recorded != nil {
		was = recorded.Interpreter
	}
	in, err := findInterpreter(ctx, t.Command, p.proj.Dir, was)
	if err != nil {
		return nil, err
	}
	k.Interpreter = in
	if recorded != nil && in != nil && len(recorded.Packages) > 0 {
		mods := make([]string, len(recorded.Packages))
		for i, pk := range recorded.Packages {
			mods[i] = pk.Module
		}
		k.Packages = depgraph.InstalledPackages(in.Site, mods)
	}
	return k, nil
}

// differs says what differs between the key a layout was built with and
// the key now, in words for the summary; "" when nothing does.
func (was *buildKey) differs(now *buildKey) string {
	switch {
	case was == nil:
		return "the session does not say what its layout was built with"
	case !slices.Equal(was.Command, now.Command):
		return fmt.Sprintf("the command changed (was %q)", strings.Join(was.Command, " "))
	case was.Dir != now.Dir:
		return fmt.Sprintf("the build's directory changed (was %s)", was.Dir)
	case was.Output != now.Output:
		return fmt.Sprintf("the output changed (was %s)", was.Output)
	}
	if d := was.Interpreter.differs(now.Interpreter); d != "" {
		return d
	}
	if d := envDiffers(was.Env, now.Env); d != "" {
		return d
	}
	if len(was.Packages) > 0 && len(now.Packages) == len(was.Packages) {
		for i, a := range was.Packages {
			if b := now.Packages[i]; a.Name != b.Name || a.Version != b.Version {
				return fmt.Sprintf("package %s changed: %s → %s", a.Module, pkgWords(a), pkgWords(b))
			}
		}
	}
	return ""
}

func pkgWords(p depgraph.Package) string {
	if p.Name == "" {
		return "not installed"
	}
	return p.Name + " " + p.Version
}

func (was *interpreter) differs(now *interpreter) string {
	switch {
	case was == nil && now == nil:
		return ""
	case was == nil || now == nil:
		return "the build's interpreter changed"
	case was.Version != now.Version || was.Path != now.Path:
		return fmt.Sprintf("%s changed: %s (%s) → %s (%s)", now.Name, was.Version, was.Path, now.Version, now.Path)
	}
	return ""
}

func envDiffers(was, now map[string]string) string {
	var keys []string
	for k := range was {
		keys = append(keys, k)
	}
	for k := range now {
		if _, ok := was[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, inA := was[k]
		b, inB := now[k]
		switch {
		case !inA:
			return fmt.Sprintf("%s is set now (%s)", k, b)
		case !inB:
			return fmt.Sprintf("%s is no longer set (was %s)", k, a)
		case a != b:
			return fmt.Sprintf("%s changed: %s → %s", k, a, b)
		}
	}
	return ""
}

// relAny is p relative to root, slash-separated, "../" included when p
// lies outside it.
func relAny(root, p string) (string, error) {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p, err
	}
	return filepath.ToSlash(r), nil
}

// environ is the environment builds inherit.
func (p *Pipeline) environ() []string {
	if p.env != nil {
		return p.env()
	}
	return os.Environ()
}

// key returns what target t is built with now, asking its interpreter the
// first time (recorded as it was in the session when its files are the
// same).
func (p *Pipeline) key(ctx context.Context, t project.Target) *buildKey {
	p.keyMu.Lock()
	defer p.keyMu.Unlock()
	if k := p.built[t.Key()]; k != nil {
		return k
	}
	k, err := p.currentKey(ctx, t, recordedKey(p.manifest0(t.Key())))
	if err != nil {
		p.logf("%s: %v", t.Key(), err)
		k = &buildKey{Command: t.Command, Env: buildEnv(p.environ())}
	}
	p.built[t.Key()] = k
	return k
}

// manifest0 is the manifest restored for a target, if any.
func (p *Pipeline) manifest0(key string) *session.Manifest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.manifests[key]
}

// sitePackages is every site-packages directory of the targets'
// interpreters: where the graph finds editable installs and versions.
func (p *Pipeline) sitePackages(ctx context.Context) []string {
	var out []string
	for _, t := range p.proj.Targets {
		if k := p.key(ctx, t); k.Interpreter != nil {
			for _, s := range k.Interpreter.Site {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// trackPaths is the session's name for each tracked file: relative to the
// root, with "../" for sources outside it (an editable install elsewhere),
// sorted.
func trackPaths(root string, abs []string) ([]string, error) {
	out := make([]string, 0, len(abs))
	for _, a := range abs {
		r, err := relAny(root, a)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}
