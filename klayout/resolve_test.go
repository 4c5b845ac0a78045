package klayout

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/lywatch/lywatch/ipc"
)

func TestResolve(t *testing.T) {
	me := os.Getpid()
	type inst struct {
		port      int
		name      string
		pid       int
		listening bool
	}
	tests := []struct {
		name     string
		insts    []inst
		project  string
		explicit []string
		want     []string
	}{
		{"explicit wins", []inst{{2001, "/p", me, true}}, "/p", []string{"h:1", "h:2"}, []string{"h:1", "h:2"}},
		{"named for the project", []inst{{2001, "/q", me, true}, {2002, "/p", me, true}}, "/p", nil, []string{"127.0.0.1:2002"}},
		{"the name written another way", []inst{{2001, "/q", me, true}, {2002, "/p", me, true}}, "/p/", nil, []string{"127.0.0.1:2002"}},
		{"the single one listening", []inst{{2001, "/q", me, true}, {2002, "/r", me, false}}, "/p", nil, []string{"127.0.0.1:2001"}},
		{"several, none named", []inst{{2001, "/q", me, true}, {2002, "/r", me, true}}, "/p", nil, []string{ipc.DefaultAddr}},
		{"a dead one does not count", []inst{{2001, "/p", 999999999, true}, {2002, "/r", me, true}}, "/p", nil, []string{"127.0.0.1:2002"}},
		{"none", nil, "/p", nil, []string{ipc.DefaultAddr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := t.TempDir()
			t.Setenv("XDG_CACHE_HOME", cache)
			dir := filepath.Join(cache, "lywatch")
			os.MkdirAll(dir, 0o755)
			for _, in := range tt.insts {
				b, _ := json.Marshal(Discovery{PID: in.pid, Port: in.port, Bind: "127.0.0.1", Name: in.name, Listening: in.listening})
				os.WriteFile(filepath.Join(dir, "klayout-"+strconv.Itoa(in.port)+".json"), b, 0o644)
			}
			if got := Resolve(tt.project, tt.explicit); !slices.Equal(got, tt.want) {
				t.Errorf("Resolve(%q, %v) = %v, want %v", tt.project, tt.explicit, got, tt.want)
			}
		})
	}
}
