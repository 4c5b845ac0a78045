package session

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestResolveDir(t *testing.T) {
	root := newRoot(t, nil)
	sub := filepath.Join(root, "pdk", "cells")
	os.MkdirAll(sub, 0o755)
	def := filepath.Join(root, "build", "session")
	tests := []struct {
		flag, env, config string
		want              string
		src               Source
	}{
		{"", "", "", def, FromDefault},
		{"", "", "cache/s", filepath.Join(sub, "cache/s"), FromConfig},
		{"", "/abs/env", "cache/s", "/abs/env", FromEnv},
		{"flagdir", "/abs/env", "cache/s", filepath.Join(sub, "flagdir"), FromFlag},
	}
	for _, tt := range tests {
		got, src := ResolveDir(tt.flag, tt.env, tt.config, sub)
		if got != tt.want || src != tt.src {
			t.Errorf("ResolveDir(%q, %q, %q) = %s, %s; want %s, %s", tt.flag, tt.env, tt.config, got, src, tt.want, tt.src)
		}
	}
	noGit := t.TempDir()
	if got := DefaultDir(noGit); got != filepath.Join(noGit, "build", "session") {
		t.Errorf("DefaultDir without git = %s", got)
	}
}

func TestGitignore(t *testing.T) {
	root := newRoot(t, map[string]string{".gitignore": "*.pyc\n"})
	s := openStore(t, root, Options{})
	b, err := os.ReadFile(filepath.Join(root, "build", ".gitignore"))
	if err != nil || !containsLine(string(b), "*") {
		t.Errorf("build/.gitignore = %q, %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, ".gitignore")); string(b) != "*.pyc\n" {
		t.Errorf("the user's .gitignore was changed: %q", b)
	}
	s.Close()
	// An existing build/.gitignore is left alone.
	writeFile(t, filepath.Join(root, "build", ".gitignore"), "mine\n")
	openStore(t, root, Options{})
	if b, _ := os.ReadFile(filepath.Join(root, "build", ".gitignore")); string(b) != "mine\n" {
		t.Errorf("an existing build/.gitignore was changed: %q", b)
	}
	// A custom directory elsewhere ignores itself.
	custom := filepath.Join(root, "cache", "lw")
	c, err := Open(custom, Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := os.Stat(filepath.Join(custom, ".gitignore")); err != nil {
		t.Errorf("custom session dir has no .gitignore: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "cache", ".gitignore")); err == nil {
		t.Error("a .gitignore was written outside the session dir")
	}
}

func containsLine(s, line string) bool {
	return slices.Contains(strings.Split(s, "\n"), line)
}
