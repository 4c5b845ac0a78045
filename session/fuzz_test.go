package session

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeManifest checks that the decoder never panics and that whatever
// it accepts encodes and decodes back to the same manifest.
func FuzzDecodeManifest(f *testing.F) {
	m := &Manifest{
		Version: "0.1.0", Written: time.Unix(1700000000, 5).UTC(), Target: "chip", Root: "../..",
		Files:     []File{{Path: "pdk/a.py", SHA256: "ab", Size: 3, MtimeNS: 7, Inode: 9}},
		Functions: map[string]string{"f": "h"},
		Factories: map[string]Factory{"straight": {Hash: "h", File: "pdk/a.py"}},
		Cells:     []Cell{{Name: "TOP", Local: "l", Deep: "d", Factory: "straight", Children: []string{"x"}}},
		Edges:     []Edge{{From: "a", To: "b", Kind: "calls"}},
		Layout:    Layout{File: "cells.gds.gz", SHA256: "00", Size: 1},
	}
	b, err := EncodeManifest(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(`{"format":"lywatch-session-manifest","version":1,"data":{}}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(data)
		if err != nil {
			return
		}
		b, err := EncodeManifest(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := DecodeManifest(b)
		if err != nil {
			t.Fatalf("decode of re-encoded manifest: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", m, m2)
		}
		if b2, _ := EncodeManifest(m2); !bytes.Equal(b, b2) {
			t.Fatal("encoding is not stable")
		}
	})
}
