package ipc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
)

// FuzzRequest is one exchange with the server: whatever the token, root,
// command, arguments and cell lists, the request is one line of JSON whose
// id, cmd, token, root and payload are the request's own (arguments cannot
// override them); and whatever bytes come back, the client's reading of
// the reply (readReply, then the result as call decodes it, and the other
// wires' replies) gives the reply to that request or an error, never a
// panic nor another request's answer.
func FuzzRequest(f *testing.F) {
	f.Add(uint64(1), "load", strings.Repeat("a", 64), "/p", "base", "cell\nA", "x", int64(10), "0123",
		[]byte(`{"id": 1, "ok": true, "result": {"type": "incremental", "followed": [{"view": 0, "from": "a", "to": "b", "kind": "followed"}], "state": "s"}}`+"\n"))
	f.Add(uint64(7), "status", "t", "", "", "", "token", int64(-1), "",
		[]byte(`{"id": 3, "ok": true, "result": {}}`+"\n"+`{"id": 7, "ok": true, "result": {"views": 2, "all_views": [{"path": ["a"]}]}}`+"\n"))
	f.Add(uint64(2), "load", "t", "/p", "s", "", "removed", int64(5), "zz",
		[]byte(`{"id": null, "ok": false, "error": "request longer than 1048576 bytes", "code": "too_large"}`+"\r\n"))
	f.Add(uint64(0), "", "", "", "", "", "id", int64(0), "", []byte("ACK ok\r\n"))
	f.Add(uint64(3), "load", "t", "", "", "", "", int64(1), "", []byte(`{"version": "0.3", "type": "reload", "file": "/a.gds"}`))
	f.Add(uint64(4), "load", "t", "", "", "", "", int64(1), "", []byte(`{"id": 4, "ok": true, "result": {"type": 5}}`))
	f.Add(uint64(5), "ping", "t", "", "", "", "", int64(1), "", []byte(`{"id": 5, "ok": false}`+"\n"+`{"id": 5, "ok": false, "error": "x"}`))
	f.Fuzz(func(t *testing.T, id uint64, cmd, token, root, base, removed, argKey string, size int64, sum string, reply []byte) {
		if utf8.ValidString(cmd) && utf8.ValidString(token) && utf8.ValidString(root) && utf8.ValidString(sum) {
			// JSON carries text: other bytes come back as U+FFFD (a token is hex).
			checkRequest(t, id, cmd, token, root, base, removed, argKey, size, sum)
		}
		checkReply(t, id, reply)
	})
}

func checkRequest(t *testing.T, id uint64, cmd, token, root, base, removed, argKey string, size int64, sum string) {
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
	// The server's JSON reader matches keys exactly (Python's json), where
	// Go's would take "iD" for "id": read the keys as they are.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	var back struct {
		ID      uint64
		Cmd     string
		Token   string
		Root    *string
		Payload *Payload
		Removed []string
	}
	for key, v := range map[string]any{"id": &back.ID, "cmd": &back.Cmd, "token": &back.Token,
		"root": &back.Root, "payload": &back.Payload, "removed": &back.Removed} {
		if b, ok := raw[key]; ok {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("%q: %s: %v", line, key, err)
			}
		}
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
	if argKey != "removed" && utf8.ValidString(removed) && len(back.Removed) != strings.Count(removed, "\n")+1 {
		t.Fatalf("removed %q came back as %q", removed, back.Removed)
	}
}

// checkReply reads reply as the answer to request id, as each wire does.
func checkReply(t *testing.T, id uint64, reply []byte) {
	rep, err := readReply(bufio.NewReader(bytes.NewReader(reply)), id)
	switch {
	case err == nil:
		if rep.ID != nil && *rep.ID != id || rep.ID == nil && rep.OK {
			t.Fatalf("request %d took the reply %+v", id, rep)
		}
		if !rep.OK && rep.Error == "" {
			t.Fatalf("an error reply without its message: %+v", rep)
		}
		if rep.OK && len(rep.Result) > 0 {
			// What call decodes a result into: an error or a value.
			var lr loadResult
			json.Unmarshal(rep.Result, &lr)
			var st Status
			if json.Unmarshal(rep.Result, &st) == nil {
				st.Normalize()
			}
			var rdb RDBInfo
			json.Unmarshal(rep.Result, &rdb)
		}
	case errors.Is(err, ErrMalformedReply), errors.Is(err, io.EOF), errors.Is(err, ErrLineTooLong):
	default:
		t.Fatalf("reading %q: unexpected error %v", reply, err)
	}
	// lyipc's reply line and klive's JSON reply.
	if line, err := ReadLine(bufio.NewReader(bytes.NewReader(reply)), MaxReplySize); err == nil {
		if tr, err := ParseTextReply(string(line)); err == nil && !strings.HasPrefix(string(line), "ACK") && !strings.HasPrefix(string(line), "ERR") {
			t.Fatalf("text reply %q parsed as %+v", line, tr)
		}
	}
	if kr, raw, err := ParseKliveReply(bytes.NewReader(reply)); err == nil && (kr == nil || raw == nil) {
		t.Fatalf("klive reply %q parsed as %+v, %q", reply, kr, raw)
	}
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
