package session

import (
	"bytes"
	"reflect"
	"strconv"
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
		Layout:    Layout{File: "cells.gds.gz", SHA256: "00", Size: 1},
	}
	b, err := EncodeManifest(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	marked, err := encodeManifest(m, bytes.Repeat([]byte{7}, keySize))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(marked)
	f.Add([]byte(`{"format":"lywatch-session-manifest","version":` + strconv.Itoa(FormatVersion) + `,"data":{}}`))
	f.Add([]byte{})
	f.Fuzz(checkRoundTrip)
}

// checkRoundTrip checks that a manifest DecodeManifest accepts encodes,
// decodes back to the same manifest, and encodes the same again.
func checkRoundTrip(t *testing.T, data []byte) {
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
		t.Fatalf("decode of re-encoded manifest: %v\n%s", err, b)
	}
	// The first decode may hold an empty list where the encoding, which
	// leaves empty lists out, gives none back: the same manifest. From
	// there on the round trip is exact.
	b2, err := EncodeManifest(m2)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("encoding is not stable: %v\n%s\n%s", err, b, b2)
	}
	m3, err := DecodeManifest(b2)
	if err != nil || !reflect.DeepEqual(m2, m3) {
		t.Fatalf("round trip differs: %v\n%+v\n%+v", err, m2, m3)
	}
}

// FuzzManifestContent seals fuzzed content correctly, so the fuzzer gets
// past the checksum to the envelope, JSON and file table parsers.
func FuzzManifestContent(f *testing.F) {
	f.Add([]byte(`{"root":"../..","layout":{"file":"cells.gds.gz","sha256":"00","size":1}}`), []byte(`a.py\tab\t1\t2\t3\n`), true)
	f.Add([]byte(`{"root":"x","cells":[{"name":"A","local":"l","deep":"d","children":["B"]}]}`), []byte(``), false)
	f.Add([]byte(`{"root":"../..","files":"x"}`), []byte(`b%41.py\tab\t-1\t2\t0\n`), true)
	f.Fuzz(func(t *testing.T, data, table []byte, withTable bool) {
		head := []byte(`{"format":"lywatch-session-manifest","version":` + strconv.Itoa(FormatVersion) + `,"data":`)
		head = append(head, data...)
		if withTable {
			head = append(append(append(head, tableKey...), table...), '"')
		}
		checkRoundTrip(t, sealHead(head))
	})
}
