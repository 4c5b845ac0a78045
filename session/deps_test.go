package session

import (
	"errors"
	"reflect"
	"testing"
)

func TestDependenciesOrder(t *testing.T) {
	tests := []struct {
		name  string
		deps  Dependencies
		order []string
		cycle []string
	}{
		{"empty", Dependencies{}, nil, nil},
		{"chain", Dependencies{"chip": {"lib"}, "lib": {"base"}}, []string{"base", "lib", "chip"}, nil},
		{"diamond", Dependencies{"top": {"b", "a"}, "a": {"base"}, "b": {"base"}}, []string{"base", "a", "b", "top"}, nil},
		{"independent", Dependencies{"z": nil, "a": nil}, []string{"a", "z"}, nil},
		{"cycle", Dependencies{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, []string{"c", "b", "a", "d"}, []string{"a", "b", "c", "a"}},
		{"self", Dependencies{"a": {"a"}}, []string{"a"}, []string{"a", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order, err := tt.deps.Order()
			if !reflect.DeepEqual(order, tt.order) {
				t.Errorf("order %v, want %v", order, tt.order)
			}
			var ce *CycleError
			if tt.cycle == nil && err != nil {
				t.Errorf("unexpected error %v", err)
			}
			if tt.cycle != nil && (!errors.As(err, &ce) || !reflect.DeepEqual(ce.Cycle, tt.cycle)) {
				t.Errorf("error %v, want cycle %v", err, tt.cycle)
			}
		})
	}
}

func TestLoadAllInDependencyOrder(t *testing.T) {
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
	if want := []string{"base", "lib", "chip", "loose"}; !reflect.DeepEqual(names, want) {
		t.Errorf("LoadAll order %v, want %v", names, want)
	}
	if err := s.SaveDependencies(Dependencies{"chip": {"lib"}, "lib": {"chip"}}); err != nil {
		t.Fatal(err)
	}
	got, warnings = s.LoadAll()
	var ce *CycleError
	if len(warnings) != 1 || !errors.As(warnings[0], &ce) || len(got) != 4 {
		t.Errorf("cyclic dependencies: %d loaded, warnings %v", len(got), warnings)
	}
}
