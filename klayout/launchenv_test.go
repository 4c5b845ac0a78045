package klayout

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLaunchEnvSwitches: lywatch klayout start passes its switches to the
// server as the environment the server reads (TestServerDefaults checks
// what the server does with them): nothing unauthenticated and no extra
// folder unless asked, --klive and --lyipc as LYWATCH_KLIVE and
// LYWATCH_LYIPC, and --allow folders, made absolute, as LYWATCH_ALLOW.
func TestLaunchEnvSwitches(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	sep, abs := string(os.PathListSeparator), t.TempDir()
	tests := []struct {
		name string
		opts LaunchOptions
		want []string // LYWATCH_KLIVE, LYWATCH_LYIPC and LYWATCH_ALLOW entries
	}{
		{"defaults", LaunchOptions{}, nil},
		{"klive", LaunchOptions{Klive: true}, []string{"LYWATCH_KLIVE=1"}},
		{"lyipc", LaunchOptions{Lyipc: true}, []string{"LYWATCH_LYIPC=1"}},
		{"allow", LaunchOptions{Allow: []string{"layouts", abs}},
			[]string{"LYWATCH_ALLOW=" + filepath.Join(wd, "layouts") + sep + abs}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range launchEnv(tc.opts) {
				for _, k := range []string{"LYWATCH_KLIVE=", "LYWATCH_LYIPC=", "LYWATCH_ALLOW="} {
					if strings.HasPrefix(e, k) {
						got = append(got, e)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("launchEnv(%+v) sets %q, want %q", tc.opts, got, tc.want)
			}
		})
	}
}
