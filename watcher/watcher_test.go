package watcher

import (
	"os"
	"testing"
)

// basicCases run against both fsnotify and polling.
var basicCases = []struct {
	name  string
	files map[string]string
	do    func(h *harness)
	want  func(h *harness) []Change
}{
	{
		name:  "create",
		files: map[string]string{"a.py": "a"},
		do:    func(h *harness) { h.write("pkg/b.py", "b") },
		want: func(h *harness) []Change {
			return []Change{{Path: h.path("pkg/b.py"), Kind: Created, NewHash: sum("b")}}
		},
	},
	{
		name:  "modify",
		files: map[string]string{"a.py": "a"},
		do:    func(h *harness) { h.write("a.py", "a2") },
		want:  aModified,
	},
	{
		name:  "delete",
		files: map[string]string{"a.py": "a", "b.py": "b"},
		do:    func(h *harness) { mustOK(h.t, os.Remove(h.path("a.py"))) },
		want: func(h *harness) []Change {
			return []Change{{Path: h.path("a.py"), Kind: Deleted, OldHash: sum("a")}}
		},
	},
	{
		name:  "rename",
		files: map[string]string{"a.py": "a"},
		do:    func(h *harness) { mustOK(h.t, os.Rename(h.path("a.py"), h.path("b.py"))) },
		want: func(h *harness) []Change {
			return []Change{
				{Path: h.path("a.py"), Kind: Deleted, OldHash: sum("a")},
				{Path: h.path("b.py"), Kind: Created, NewHash: sum("a")},
			}
		},
	},
	{
		name:  "atomic save",
		files: map[string]string{"sub/a.py": "a"},
		do: func(h *harness) {
			h.write("sub/.a.py.tmp1234", "a2")
			mustOK(h.t, os.Rename(h.path("sub/.a.py.tmp1234"), h.path("sub/a.py")))
		},
		want: func(h *harness) []Change {
			return []Change{{Path: h.path("sub/a.py"), Kind: Modified, OldHash: sum("a"), NewHash: sum("a2")}}
		},
	},
	{
		name:  "vim save",
		files: map[string]string{"a.py": "a"},
		do: func(h *harness) {
			// vim with backupcopy=no: probe file 4913, rename to a backup,
			// write the new file, remove the backup.
			h.write("4913", "")
			mustOK(h.t, os.Remove(h.path("4913")))
			mustOK(h.t, os.Rename(h.path("a.py"), h.path("a.py~")))
			h.write("a.py", "a2")
			mustOK(h.t, os.Remove(h.path("a.py~")))
		},
		want: aModified,
	},
	{
		name:  "jetbrains safe write",
		files: map[string]string{"a.py": "a"},
		do: func(h *harness) {
			h.write("a.py___jb_tmp___", "a2")
			mustOK(h.t, os.Rename(h.path("a.py"), h.path("a.py___jb_old___")))
			mustOK(h.t, os.Rename(h.path("a.py___jb_tmp___"), h.path("a.py")))
			mustOK(h.t, os.Remove(h.path("a.py___jb_old___")))
		},
		want: aModified,
	},
}

// aModified is the one change of the editor cases: a.py from "a" to "a2".
func aModified(h *harness) []Change {
	return []Change{{Path: h.path("a.py"), Kind: Modified, OldHash: sum("a"), NewHash: sum("a2")}}
}

func TestBasicFSNotify(t *testing.T) { testBasic(t, false) }

func TestBasicPoll(t *testing.T) { testBasic(t, true) }

func testBasic(t *testing.T, poll bool) {
	for _, tc := range basicCases {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, tc.files, func(o *Options) { o.Poll = poll })
			if got := h.w.Polling(); got != poll {
				t.Fatalf("Polling() = %v", got)
			}
			tc.do(h)
			h.expect(tc.name, tc.want(h)...)
			h.quiet()
		})
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestHashesAfterNew(t *testing.T) {
	h := start(t, map[string]string{"a.py": "a", "d/b.py": "b", "d/c.txt": "c", "__pycache__/x.py": "x"}, nil)
	got := h.w.Hashes()
	want := map[string]string{h.path("a.py"): sum("a"), h.path("d/b.py"): sum("b")}
	if len(got) != len(want) {
		t.Fatalf("Hashes() = %v, want %v", got, want)
	}
	for p, s := range want {
		if got[p] != s {
			t.Errorf("Hashes()[%s] = %q, want %q", p, got[p], s)
		}
	}
	h.write("d/b.py", "b2")
	h.next()
	if got := h.w.Hashes()[h.path("d/b.py")]; got != sum("b2") {
		t.Errorf("after change: %q", got)
	}
	h.w.IgnorePath(h.path("d"))
	if _, ok := h.w.Hashes()[h.path("d/b.py")]; ok {
		t.Error("ignored path still in Hashes")
	}
}
