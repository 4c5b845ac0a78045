package watcher

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestMerge(t *testing.T) {
	c := func(p, o, n string) Change {
		k, _ := combine(o, n)
		k.Path = p
		return k
	}
	tests := []struct {
		name string
		a, b []Change
		want []Change
	}{
		{"disjoint", []Change{c("a", "1", "2")}, []Change{c("b", "", "3")}, []Change{c("a", "1", "2"), c("b", "", "3")}},
		{"modified twice", []Change{c("a", "1", "2")}, []Change{c("a", "2", "3")}, []Change{c("a", "1", "3")}},
		{"changed back", []Change{c("a", "1", "2")}, []Change{c("a", "2", "1")}, nil},
		{"created then modified", []Change{c("a", "", "1")}, []Change{c("a", "1", "2")}, []Change{c("a", "", "2")}},
		{"created then deleted", []Change{c("a", "", "1")}, []Change{c("a", "1", "")}, nil},
		{"deleted then created", []Change{c("a", "1", "")}, []Change{c("a", "", "2")}, []Change{c("a", "1", "2")}},
		{"modified then deleted", []Change{c("a", "1", "2")}, []Change{c("a", "2", "")}, []Change{c("a", "1", "")}},
		{"first empty", nil, []Change{c("a", "1", "2")}, []Change{c("a", "1", "2")}},
		{"second empty", []Change{c("a", "1", "2")}, nil, []Change{c("a", "1", "2")}},
	}
	for _, tc := range tests {
		got := Merge(ChangeSet{Changes: tc.a}, ChangeSet{Changes: tc.b, Rescan: true})
		if !slices.Equal(got.Changes, tc.want) || !got.Rescan {
			t.Errorf("%s: got %s, want %s", tc.name, describe(got), describe(ChangeSet{Changes: tc.want}))
		}
	}
}

func TestKind(t *testing.T) {
	for k, want := range map[Kind]string{Created: "created", Modified: "modified", Deleted: "deleted", Kind(9): "Kind(9)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", int(k), k.String())
		}
	}
	b, err := json.Marshal(Change{Path: "/a.py", Kind: Deleted, OldHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"path":"/a.py","kind":"deleted","old_hash":"x","new_hash":""}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	for _, k := range []Kind{Created, Modified, Deleted} {
		var c Change
		b, _ := json.Marshal(Change{Kind: k})
		if err := json.Unmarshal(b, &c); err != nil || c.Kind != k {
			t.Errorf("%s does not read back: %v, %v", b, c.Kind, err)
		}
	}
	var c Change
	if err := json.Unmarshal([]byte(`{"kind":"renamed"}`), &c); err == nil || !strings.Contains(err.Error(), `"renamed"`) {
		t.Errorf("unknown kind: err %v", err)
	}
}
