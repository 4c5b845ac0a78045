package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// TestPushTargets: the loop pushes to every --klayout given; else to the
// KLayout named by --klayout-name (klayout_name), else the one named for
// the project directory; else the only one running; else the default.
func TestPushTargets(t *testing.T) {
	const proj = "/home/u/chip"
	me := os.Getpid()
	tests := []struct {
		name     string
		running  map[int]string // port -> instance name
		explicit []string
		kname    string
		proto    ipc.Protocol
		want     []string
	}{
		{"--klayout, every one", map[int]string{2001: proj}, []string{"10.0.0.2:1", "127.0.0.1:2"}, "", ipc.ProtoLywatch, []string{"10.0.0.2:1", "127.0.0.1:2"}},
		{"--klayout over --klayout-name", map[int]string{2001: "review"}, []string{"127.0.0.1:2"}, "review", ipc.ProtoLywatch, []string{"127.0.0.1:2"}},
		{"--klayout-name", map[int]string{2001: proj, 2002: "review"}, nil, "review", ipc.ProtoLywatch, []string{"127.0.0.1:2002"}},
		{"--klayout-name, two of that name", map[int]string{2001: "review", 2002: proj, 2003: "review"}, nil, "review", ipc.ProtoLywatch, []string{"127.0.0.1:2001", "127.0.0.1:2003"}},
		{"the project's", map[int]string{2001: "review", 2002: proj}, nil, "", ipc.ProtoLywatch, []string{"127.0.0.1:2002"}},
		{"--klayout-name none has: the only one", map[int]string{2001: proj}, nil, "review", ipc.ProtoLywatch, []string{"127.0.0.1:2001"}},
		{"--klayout-name none has, two running: the default", map[int]string{2001: proj, 2002: "other"}, nil, "review", ipc.ProtoLywatch, []string{ipc.DefaultAddr}},
		{"none running", nil, nil, "review", ipc.ProtoLywatch, []string{ipc.DefaultAddr}},
		{"klive: the names do not count", map[int]string{2001: proj}, nil, "", ipc.ProtoKlive, []string{""}},
		{"klive with --klayout", nil, []string{"127.0.0.1:8082", "127.0.0.1:8083"}, "", ipc.ProtoKlive, []string{"127.0.0.1:8082", "127.0.0.1:8083"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", t.TempDir())
			dir, err := klayout.DiscoveryDir()
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(dir, 0o755)
			for port, name := range tt.running {
				b, _ := json.Marshal(klayout.Discovery{PID: me, Port: port, Bind: "127.0.0.1", Name: name, Listening: true})
				if err := os.WriteFile(filepath.Join(dir, "klayout-"+strconv.Itoa(port)+".json"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := config.Default()
			cfg.KLayout, cfg.KLayoutName = tt.explicit, tt.kname
			if got := pushTargets(cfg, proj, tt.proto)(); !slices.Equal(got, tt.want) {
				t.Errorf("targets %v, want %v", got, tt.want)
			}
		})
	}
}
