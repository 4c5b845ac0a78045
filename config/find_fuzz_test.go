package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzFind builds a tree of nested directories from the input, each level
// with or without .git, a lywatch.toml, a pyproject.toml with or without
// [tool.lywatch], and files other users can write; then checks Find
// against a direct reading of the rules: the deepest safe file at or below
// the git root is the one found, a file others can write is never taken,
// and nothing above the git root (or above the start, outside git and
// home) is.
func FuzzFind(f *testing.F) {
	f.Add([]byte{3, 0x00, 0x03, 0x02})
	f.Add([]byte{4, 0x02, 0x01, 0x06, 0x00})
	f.Add([]byte{2, 0x0a, 0x08})
	f.Add([]byte{5, 0x03, 0x02, 0x04, 0x01, 0x10})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		depth := int(in[0])%6 + 1
		levels := in[1:]
		if len(levels) > depth {
			levels = levels[:depth]
		}
		t.Setenv("HOME", t.TempDir()) // the tree is outside home
		base := t.TempDir()
		dir := base
		type level struct {
			dir  string
			bits byte
		}
		var ls []level
		for i := range levels {
			dir = filepath.Join(dir, "d"+string(rune('a'+i)))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			ls = append(ls, level{dir, levels[i]})
		}
		for _, l := range ls {
			mode := os.FileMode(0o644)
			if l.bits&0x04 != 0 {
				mode = 0o666
			}
			if l.bits&0x01 != 0 {
				os.Mkdir(filepath.Join(l.dir, ".git"), 0o755)
			}
			if l.bits&0x02 != 0 {
				p := filepath.Join(l.dir, LywatchTOML)
				os.WriteFile(p, []byte("command='make'\n"), 0o644)
				os.Chmod(p, mode)
			}
			if l.bits&0x08 != 0 {
				p := filepath.Join(l.dir, PyProject)
				text := "[project]\nname='x'\n"
				if l.bits&0x20 != 0 {
					text = "[tool.lywatch]\ncommand='make'\n"
				}
				os.WriteFile(p, []byte(text), 0o644)
				os.Chmod(p, mode)
			}
		}
		start := ls[len(ls)-1].dir
		got, _, err := Find(start)
		if err != nil {
			t.Fatal(err)
		}
		// The rules, read directly: from the start upwards, stopping at
		// the first level with .git, or at the start itself outside git.
		want := ""
		gitAt := -1
		for i := len(ls) - 1; i >= 0; i-- {
			if ls[i].bits&0x01 != 0 {
				gitAt = i
				break
			}
		}
		for i := len(ls) - 1; i >= 0 && want == ""; i-- {
			if gitAt < 0 && i != len(ls)-1 {
				break
			}
			safe := ls[i].bits&0x04 == 0
			switch {
			case ls[i].bits&0x02 != 0 && safe:
				want = filepath.Join(ls[i].dir, LywatchTOML)
			case ls[i].bits&0x08 != 0 && ls[i].bits&0x20 != 0 && safe:
				want = filepath.Join(ls[i].dir, PyProject)
			}
			if i == gitAt {
				break
			}
		}
		if got != want {
			t.Fatalf("Find(%s) = %q, want %q (levels %x)", strings.TrimPrefix(start, base), got, want, levels)
		}
	})
}
