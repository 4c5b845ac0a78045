package session

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestRelPathsAndNewFiles(t *testing.T) {
	root := filepath.FromSlash("/home/me/pdk")
	got, err := RelPaths(root, []string{filepath.Join(root, "pdk", "b.py"), filepath.Join(root, "a.py")})
	if err != nil || !reflect.DeepEqual(got, []string{"a.py", "pdk/b.py"}) {
		t.Errorf("RelPaths = %v, %v", got, err)
	}
	if _, err := RelPath(root, "/elsewhere/x.py"); err == nil {
		t.Error("RelPath accepted a path outside the root")
	}
	m := &Manifest{Files: []File{{Path: "a.py"}, {Path: "pdk/b.py"}}}
	if got := m.NewFiles([]string{"pdk/new.py", "a.py", "pdk/b.py", "c.py"}); !reflect.DeepEqual(got, []string{"c.py", "pdk/new.py"}) {
		t.Errorf("NewFiles = %v", got)
	}
}
