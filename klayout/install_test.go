package klayout

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestInstallIsIdempotent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pymacros")
	path, changed, err := Install(dir)
	if err != nil || !changed || path != filepath.Join(dir, "lywatch_server.lym") {
		t.Fatalf("first install: %s, %v, %v", path, changed, err)
	}
	if _, changed, err = Install(dir); err != nil || changed {
		t.Fatalf("second install changed %v, %v", changed, err)
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	if !strings.Contains(s, "<autorun>true</autorun>") || !strings.Contains(s, "<interpreter>python</interpreter>") ||
		!strings.Contains(s, "&lt;") || strings.Contains(s, "if len(line) > MAX_LINE") {
		t.Errorf("lym is not an escaped autorun python macro:\n%.400s", s)
	}
}

func TestExtractMacroAndVersion(t *testing.T) {
	dir := t.TempDir()
	path, err := ExtractMacro(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != string(ServerMacro()) {
		t.Fatalf("extracted macro differs: %v", err)
	}
	if v := ServerVersion(); v == "" || strings.ContainsAny(v, `"' `) {
		t.Errorf("ServerVersion() = %q", v)
	}
}

func TestReadDiscovery(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	if ds, err := ReadDiscovery(11078); err != nil || len(ds) != 0 {
		t.Fatalf("no discovery dir: %v, %v", ds, err)
	}
	dir := filepath.Join(cache, "lywatch")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "klayout-11078.json"), []byte(`{"pid": 999999999, "port": 11078, "listening": false, "error": "cannot listen"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "klayout-11078-5.json"), []byte(`{"pid": `+strconv.Itoa(os.Getpid())+`, "port": 11078, "listening": true}`), 0o644)
	ds, err := ReadDiscovery(11078)
	if err != nil || len(ds) != 2 {
		t.Fatalf("ReadDiscovery: %v, %v", ds, err)
	}
	if !ds[0].Listening || !ds[0].Alive() || ds[1].Alive() || ds[1].Error != "cannot listen" {
		t.Errorf("discovery order or liveness wrong: %+v %+v", ds[0], ds[1])
	}
	if p, _ := DiscoveryPath(11078); p != filepath.Join(dir, "klayout-11078.json") {
		t.Errorf("DiscoveryPath = %s", p)
	}
}
