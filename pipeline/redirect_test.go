package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lywatch/lywatch/project"
)

func TestRedirect(t *testing.T) {
	dir := "/home/u/pdk"
	proj := &project.Project{Dir: dir, Targets: []project.Target{
		{Name: "chip", Output: filepath.Join(dir, "build/chip.gds"), Reference: "tests/ref/chip.gds",
			Command: []string{"klayout", "-b", "-r", "build.py", "-rd", "out=build/chip.gds", "-rd", "lib=" + dir + "/build/lib.gds"}},
		{Name: "lib", Output: "build/lib.gds", Command: []string{"python3", "lib.py", "--output", "./build/lib.gds", "--log=build/lib.log", "x=", "=build/lib.gds"}},
		{Name: "a/b", Output: "out.gds", Command: []string{"make", "out.gds"}},
		{Name: "none", Command: []string{"true", "build/chip.gds.bak"}},
	}}
	got := Redirect(proj, "/tmp/x")
	want := []project.Target{
		{Name: "chip", Output: "/tmp/x/chip/chip.gds", Reference: "tests/ref/chip.gds",
			Command: []string{"klayout", "-b", "-r", "build.py", "-rd", "out=/tmp/x/chip/chip.gds", "-rd", "lib=/tmp/x/lib/lib.gds"}},
		{Name: "lib", Output: "/tmp/x/lib/lib.gds", Command: []string{"python3", "lib.py", "--output", "/tmp/x/lib/lib.gds", "--log=build/lib.log", "x=", "=/tmp/x/lib/lib.gds"}},
		{Name: "a/b", Output: "/tmp/x/a_b/out.gds", Command: []string{"make", "/tmp/x/a_b/out.gds"}},
		{Name: "none", Command: []string{"true", "build/chip.gds.bak"}},
	}
	for i, tg := range got.Targets {
		// A redirected target keeps the one it stands for (the session key).
		if home := tg.Home; tg.Output != "" && (home == nil || !reflect.DeepEqual(*home, proj.Targets[i])) {
			t.Errorf("%s: home %+v, want the target as configured", tg.Name, home)
		}
		got.Targets[i].Home = nil
	}
	if !reflect.DeepEqual(got.Targets, want) {
		t.Errorf("got  %+v\nwant %+v", got.Targets, want)
	}
	if proj.Targets[0].Output != filepath.Join(dir, "build/chip.gds") || proj.Targets[0].Command[5] != "out=build/chip.gds" {
		t.Error("Redirect changed the project it was given")
	}
}

func TestMakeOutputDirs(t *testing.T) {
	dir := t.TempDir()
	proj := Redirect(&project.Project{Dir: dir, Targets: []project.Target{{Name: "a", Output: "build/a.gds"}, {Name: "b"}}}, filepath.Join(dir, "tmp"))
	if err := MakeOutputDirs(proj); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tmp", "a")); err != nil || !fi.IsDir() {
		t.Errorf("the redirected output's folder: %v", err)
	}
}
