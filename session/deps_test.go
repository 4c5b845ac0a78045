package session

import (
	"reflect"
	"testing"
)

func TestLoadAllByName(t *testing.T) {
	root := newRoot(t, srcFiles)
	s := openStore(t, root, Options{})
	for _, tg := range []string{"chip", "lib", "base", "loose"} {
		if err := s.Save(tg, testManifest(t, root, srcPaths(), 1), layoutFile(t, t.TempDir(), 1, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveDependencies(Dependencies{"chip": {"lib"}, "lib": {"base"}, "ghost": nil}); err != nil {
		t.Fatal(err)
	}
	got, warnings := s.LoadAll()
	if len(warnings) != 0 {
		t.Fatalf("warnings: %v", warnings)
	}
	var names []string
	for _, l := range got {
		if l.Manifest == nil || l.Warning != nil {
			t.Errorf("%s: %v", l.Target, l.Warning)
		}
		names = append(names, l.Target)
	}
	if want := []string{"base", "chip", "lib", "loose"}; !reflect.DeepEqual(names, want) {
		t.Errorf("LoadAll order %v, want %v", names, want)
	}
}
