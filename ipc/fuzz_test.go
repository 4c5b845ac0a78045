package ipc

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// FuzzRequest: whatever the token, root, command, arguments and cell lists,
// a request is one line of JSON whose id, cmd, token, root and payload are
// the request's own (arguments cannot override them).
func FuzzRequest(f *testing.F) {
	f.Add(uint64(1), "load", strings.Repeat("a", 64), "/p", "base", "cell\nA", "x", int64(10), "0123")
	f.Add(uint64(0), "", "", "", "", "", "token", int64(-1), "")
	f.Fuzz(func(t *testing.T, id uint64, cmd, token, root, base, removed, argKey string, size int64, sum string) {
		if !utf8.ValidString(cmd) || !utf8.ValidString(token) || !utf8.ValidString(root) || !utf8.ValidString(sum) {
			return // JSON carries text: such bytes come back as U+FFFD (a token is hex)
		}
		req := Request{ID: id, Cmd: cmd, Token: token, Root: root,
			Args: map[string]any{argKey: "evil", "base": base, "removed": strings.Split(removed, "\n")}}
		if size >= 0 {
			req.Payload = &Payload{Size: size, SHA256: sum, Encoding: "gzip", Kind: PayloadPartial}
		}
		line, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsAny(line, "\n\r") {
			t.Fatalf("request is not one line: %q", line)
		}
		var back struct {
			ID      uint64   `json:"id"`
			Cmd     string   `json:"cmd"`
			Token   string   `json:"token"`
			Root    *string  `json:"root"`
			Payload *Payload `json:"payload"`
		}
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if back.ID != id || back.Cmd != cmd || back.Token != token {
			t.Fatalf("id/cmd/token %v %q %q came back as %v %q %q", id, cmd, token, back.ID, back.Cmd, back.Token)
		}
		if (root != "") != (back.Root != nil) || (back.Root != nil && *back.Root != root) {
			t.Fatalf("root %q came back as %v", root, back.Root)
		}
		if (req.Payload == nil) != (back.Payload == nil) || (back.Payload != nil && *back.Payload != *req.Payload) {
			t.Fatalf("payload %+v came back as %+v", req.Payload, back.Payload)
		}
	})
}

// FuzzReplyResults decodes arbitrary reply lines into the load and status
// results: an error or a value, never a panic.
func FuzzReplyResults(f *testing.F) {
	f.Add([]byte(`{"id": 1, "ok": true, "result": {"type": "incremental", "followed": [{"view": 0, "from": "a", "to": "b", "kind": "followed"}], "left_alone": [{"view": 1, "reason": "x"}], "state": "s"}}`))
	f.Add([]byte(`{"id": 1, "ok": true, "result": {"all_views": [{"path": ["a"]}], "dialogs": null}}`))
	f.Add([]byte(`{"id": 1, "ok": false, "error": "e", "code": "mismatch"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReply(b)
		if err != nil {
			return
		}
		var lr loadResult
		json.Unmarshal(r.Result, &lr)
		var st Status
		if json.Unmarshal(r.Result, &st) == nil {
			st.Normalize()
			if st.TopCells == nil || st.AllViews == nil || st.Layers == nil {
				t.Fatal("Normalize left a nil list")
			}
		}
		se := &ServerError{Code: r.Code, Msg: r.Error}
		_ = se.Error()
	})
}

// FuzzPayload: what EncodePayload sends decompresses to the layout with the
// checksum it states.
func FuzzPayload(f *testing.F) {
	f.Add([]byte("HEADER"), true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, raw []byte, partial bool) {
		kind := PayloadFull
		if partial {
			kind = PayloadPartial
		}
		info, data, err := EncodePayload(raw, kind)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(data)) || info.RawSize != int64(len(raw)) || info.Kind != kind || len(info.SHA256) != 64 {
			t.Fatalf("payload %+v for %d raw, %d sent bytes", info, len(raw), len(data))
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzTokenFile: a token file holds a token of at least 32 characters on
// its first line, or reading it fails; never a panic.
func FuzzTokenFile(f *testing.F) {
	f.Add([]byte(strings.Repeat("ab", 32) + "\n"))
	f.Add([]byte("short\n"))
	f.Add([]byte("\n" + strings.Repeat("x", 40)))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(dir, "token")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := ReadTokenFile(path, false)
		if err != nil {
			return
		}
		first, _, _ := strings.Cut(string(content), "\n")
		if len(tok) < minTokenLen || tok != strings.TrimSpace(first) {
			t.Fatalf("token %q from %q", tok, content)
		}
	})
}
