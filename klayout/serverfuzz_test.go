package klayout

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
)

// The flags byte of a fuzzed request: the low three bits choose the token
// (tokenField); the others are fuzz_server.py's.
const (
	flagDirty  = 0x08 // the view holds unsaved edits
	flagLyipc  = 0x10 // lyipc compatibility on
	flagKlive  = 0x20 // klive compatibility on
	flagRemote = 0x40 // the client is on another machine
	flagGzip   = 0x80 // the body is sent gzip-compressed (as a payload is)
)

// serverSeed is one request of FuzzServerRequest's corpus, in its terms.
type serverSeed struct {
	flags               byte
	cmd                 string
	fields, picks, body string
}

// serverSeeds holds a valid request per command of the protocol, paths
// out of the allowed folders, requests with a wrong token or none, those of
// klive and lyipc, and lines that are no request (fieldSeeds holds more).
// Fields name the sandbox's folders as @ROOT, @OUT (outside every allowed
// folder), @IMG (the image folder) and @BASE, the payload's size and
// SHA-256 as @SIZE and @SHA, and the token as @TOKEN (see
// sandbox.request).
var serverSeeds = []serverSeed{
	{0, "ping", `{"id": 1, "root": "@ROOT"}`, "", ""},
	{0, "status", `{"id": "s", "root": "@ROOT"}`, "", ""},
	{0, "load", `{"id": 3, "root": "@ROOT", "path": "@ROOT/chip.gds", "mode": "new", "force": true, "activate": true, "copy": false, "layer_properties": "<layer-properties/>", "lyrdb": "@ROOT/diff.lyrdb", "factories": {"A_1": "A"}}`, "", ""},
	{flagGzip, "load", `{"id": 4, "root": "@ROOT", "path": "C:\\chip.gds", "mode": "reload", "payload": {"size": @SIZE, "sha256": "@SHA", "encoding": "gzip", "kind": "full"}}`, "", "GDS sent"},
	{flagGzip, "load", `{"id": 5, "root": "@ROOT", "path": "@ROOT/chip.gds", "base": "s1", "removed": ["old"], "cells": 3, "dbu": 1e-9, "factories": {"A_2": "A"}, "payload": {"size": @SIZE, "sha256": "@SHA", "encoding": "gzip", "kind": "partial"}}`, "", "changed cells"},
	{flagGzip, "load", `{"id": 6, "path": "/elsewhere/chip.gds", "copy": true, "activate": true, "base": "s0", "removed": [], "cells": 1, "dbu": 1e-9, "payload": {"size": @SIZE, "sha256": "@SHA", "kind": "partial"}}`, "", "cells"},
	{0, "load", `{"id": 7, "payload": {"size": 9, "sha256": "@SHA"}, "path": "x.gds"}`, "", "truncated"},
	{0, "zoom", `{"id": 8, "box": [-1.5, 0, 10, 2e3]}`, "", ""},
	{0, "zoom_fit", `{"id": 9}`, "", ""},
	{0, "set_layer_visible", `{"id": 10, "layer": "1/0", "visible": false}`, "", ""},
	{0, "set_layer_color", `{"id": 11, "layer": "metal", "color": "#ff8000"}`, "", ""},
	{0, "cell", `{"id": 12, "name": "A"}`, "", ""},
	{0, "hier", `{"id": 13, "min": 0, "max": 3}`, "", ""},
	{0, "save_image", `{"id": 14, "root": "@ROOT", "path": "@ROOT/shot.png", "width": 800, "height": 600}`, "", ""},
	{0, "save_image", `{"id": 15, "path": "shot.png", "width": 1, "height": 8192}`, "", ""},
	{flagDirty, "quit", `{"id": 16, "force": true}`, "", ""},
	{flagDirty, "quit", `{"id": 17, "force": false}`, "", ""},
	{0, "note", `{"id": 18, "text": "build failed", "seconds": 2.5}`, "", ""},
	{0, "cells", `{"id": 19, "view": 0}`, "", ""},
	{0, "rdb", `{"id": 20, "path": "@ROOT/diff.lyrdb"}`, "", ""},
	{0, "rdb", `{"id": 21}`, "", ""},
	// Paths out of the allowed folders, through links, to missing files.
	{0, "load", `{"id": 22, "path": "@ROOT/escape/secret.gds"}`, "", ""},
	{0, "load", `{"id": 23, "path": "@ROOT/evil.gds", "lyrdb": "@OUT/notes.lyrdb"}`, "", ""},
	{0, "load", `{"id": 24, "path": "@ROOT/../outside/secret.gds", "mode": "add"}`, "", ""},
	{0, "save_image", `{"id": 25, "path": "@ROOT/escape.png"}`, "", ""},
	{0, "save_image", `{"id": 26, "path": "@ROOT/escape/x.png"}`, "", ""},
	{0, "save_image", `{"id": 27, "path": "@ROOT/dangling.png"}`, "", ""},
	{0, "save_image", `{"id": 28, "path": "@IMG/../outside/victim.png"}`, "", ""},
	{0, "load", `{"id": 29, "root": "@OUT", "path": "@OUT/secret.gds"}`, "", ""},
	{0, "rdb", `{"id": 30, "root": "/", "path": "@OUT/notes.lyrdb"}`, "", ""},
	// The wrong token, none, one of another type: refused, whatever the command.
	{1, "load", `{"id": 31, "root": "@OUT", "path": "@OUT/secret.gds"}`, "", ""},
	{2, "save_image", `{"id": 32, "root": "@OUT", "path": "@OUT/victim.png"}`, "", ""},
	{3, "status", `{"id": 33}`, "", ""},
	{4, "quit", `{"id": 34, "force": true}`, "", ""},
	{5, "rdb", `{"id": 35, "path": "@ROOT/diff.lyrdb"}`, "", ""},
	{6, "ping", `{"id": 36}`, "", ""},
	{7, "note", `{"id": 37, "text": "x"}`, "", ""},
	{1, "load", `{"id": 38, "path": "@ROOT/chip.gds", "payload": {"size": @SIZE, "sha256": "@SHA"}}`, "", "GDS"},
	{1, "", `{"cmd": "ping", "token": "@TOKEN", "id": 39}`, "", ""},
	{0, "", `{"cmd": "ping", "token": "not it", "id": 40}`, "", ""},
	// klive and lyipc: open when switched on, from this machine only.
	{flagKlive | 1, "", `{"gds": "@ROOT/chip.gds", "keep_position": true, "lyrdb": "@ROOT/diff.lyrdb"}`, "", ""},
	{flagKlive | flagRemote | 1, "", `{"gds": "@ROOT/chip.gds"}`, "", ""},
	{1, "", `{"gds": "@OUT/secret.gds"}`, "", ""},
	{flagLyipc, "", `load "@ROOT/chip.gds" 1`, "", ""},
	{flagLyipc, "", `load @OUT/secret.gds`, "", ""},
	{flagLyipc, "", `reload view`, "", ""},
	{flagLyipc, "", `cellview A`, "", ""},
	{flagLyipc | flagRemote, "", `ping`, "", ""},
	{0, "", `ping`, "", ""},
	// Not requests at all.
	{0, "", `{"id": 41, "cmd": "ping"`, "", ""},
	{0, "", `[1, 2]`, "", ""},
	{0, "", `{"id": NaN, "cmd": "zoom", "box": [Infinity, 0, 1, 1]}`, "", ""},
	{0, "bogus", `{}`, "", ""},
	{0, "", `   `, "", ""},
	// Picked fields (pickedFields) over a valid request.
	{0, "note", `{"text": "x"}`, pick("seconds", "1e400", "text", `"\ud800"`), ""},
	{0, "load", `{"path": "@ROOT/chip.gds"}`, pick("root", `"@ROOT/\u0000.png"`, "force", `"no"`), ""},
	{flagGzip, "load", `{"path": "@ROOT/chip.gds"}`, pick("payload.size", "@SIZE", "payload.sha256", `"@SHA"`, "payload.kind", `"partial"`, "base", `"s1"`, "cells", "3", "dbu", "1e-9", "removed", `["A", "\ud800"]`), "cells"},
	{flagDirty, "quit", `{}`, pick("force", `"false"`), ""},
	{0, "set_layer_color", `{"layer": "1/0"}`, pick("color", `"#-1"`), ""},
}

// pick is the picks (see pickedFields) that set each named field to the
// value given, both from pickFields and pickValues.
func pick(pairs ...string) string {
	var b []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		f, v := slices.Index(pickFields, pairs[i]), slices.Index(pickValues, pairs[i+1])
		if f < 0 || v < 0 {
			panic(fmt.Sprintf("pick: no field %q or value %q", pairs[i], pairs[i+1]))
		}
		b = append(b, byte(f), byte(v))
	}
	return string(b)
}

// fieldSeeds holds one valid request per command (and klive's) with every
// field it reads as picks (pickedFields), each with a good value: a fuzzer
// changing one byte of the picks tries another value, of any type, for
// one field of a request that is otherwise good.
var fieldSeeds = []struct {
	flags     byte
	cmd, body string
	pairs     []string // field, value, ...: of pickFields and pickValues
}{
	{0, "ping", "", []string{"id", "1", "root", `"@ROOT"`}},
	{0, "status", "", []string{"id", `"x"`, "root", `"@ROOT"`}},
	{0, "load", "", []string{"root", `"@ROOT"`, "path", `"@ROOT/chip.gds"`, "mode", `"new"`, "force", "true",
		"activate", "true", "copy", "false", "layer_properties", `"<layer-properties/>"`,
		"lyrdb", `"@ROOT/diff.lyrdb"`, "factories", `{"A_1": "A"}`}},
	{flagGzip, "load", "GDS sent", []string{"path", `"@ROOT/chip.gds"`, "mode", `"reload"`, "copy", "false",
		"payload.size", "@SIZE", "payload.sha256", `"@SHA"`, "payload.encoding", `"gzip"`, "payload.kind", `"full"`}},
	{flagGzip, "load", "changed cells", []string{"path", `"@ROOT/chip.gds"`, "copy", "false", "base", `"s1"`,
		"removed", `["a"]`, "cells", "3", "dbu", "1e-9", "factories", `{"A_1": "A"}`, "activate", "true",
		"payload.size", "@SIZE", "payload.sha256", `"@SHA"`, "payload.encoding", `"gzip"`, "payload.kind", `"partial"`}},
	{0, "zoom", "", []string{"box", "[0, 0, 10, 10]"}},
	{0, "zoom_fit", "", []string{"id", "3"}},
	{0, "set_layer_visible", "", []string{"layer", `"1/0"`, "visible", "false"}},
	{0, "set_layer_color", "", []string{"layer", `"metal"`, "color", `"#ff8000"`}},
	{0, "cell", "", []string{"name", `"A"`}},
	{0, "hier", "", []string{"min", "0", "max", "3"}},
	{0, "save_image", "", []string{"root", `"@ROOT"`, "path", `"@ROOT/shot.png"`, "width", "3", "height", "8192"}},
	{flagDirty, "quit", "", []string{"force", "true"}},
	{0, "note", "", []string{"text", `"x"`, "seconds", "2.5"}},
	{0, "cells", "", []string{"view", "0"}},
	{0, "rdb", "", []string{"path", `"@ROOT/diff.lyrdb"`}},
	{flagKlive | 1, "", "", []string{"gds", `"@ROOT/chip.gds"`, "keep_position", "true", "lyrdb", `"@ROOT/diff.lyrdb"`}},
}

// FuzzServerRequest sends requests through the server macro's real request
// path (testdata/fuzz_server.py: server.py's Connection, token check and
// dispatch under python3, with a stand-in KLayout that checks what reaches
// it). The request is the fuzzed fields (a JSON object, or any line) with
// the command and a token (see tokenField) put first and the picked fields
// (pickedFields) last, and the body after it. It fails on an exception the server does not answer, a dead helper,
// a reply of another shape than the protocol's, a request without the
// token that is served or reaches KLayout (klive and lyipc, when switched
// on, are open from this machine), an error that is a Python exception
// from a field of the wrong type, and what fuzz_server.py reports: a value
// KLayout could not take, a file read or written outside the allowed
// folders, a temporary file left behind.
func FuzzServerRequest(f *testing.F) {
	testsupport.Python3(f)
	f.Cleanup(stopServerHelper)
	seeded := map[string]bool{}
	for _, s := range serverSeeds {
		f.Add(s.flags, s.cmd, []byte(s.fields), []byte(s.picks), []byte(s.body))
		seeded[s.cmd] = true
	}
	for _, s := range fieldSeeds {
		f.Add(s.flags, s.cmd, []byte("{}"), []byte(pick(s.pairs...)), []byte(s.body))
		seeded[s.cmd] = true
	}
	for _, cmd := range ipc.Commands() {
		if !seeded[cmd] {
			f.Fatalf("no seed for the command %q", cmd)
		}
	}
	f.Fuzz(func(t *testing.T, flags byte, cmd string, fields, picks, body []byte) {
		if len(fields) > 1<<16 || len(body) > 1<<16 {
			return // bounds are feed_test.py's and load_test.py's; keep each exec fast
		}
		line, res := serveRequest(t, flags, cmd, fields, picks, body)
		checkServed(t, flags, line, res)
	})
}

// TestServerRequestRows sends one request per row through the same path as
// FuzzServerRequest and checks its reply, "ok" or the error's code for
// lywatch's protocol, "ACK" or "ERR" for lyipc's, "" for none (the client
// went before the end of its payload): each row after the first three is a
// bug FuzzServerRequest caught, with the reply server.py gives since.
func TestServerRequestRows(t *testing.T) {
	testsupport.Python3(t)
	t.Cleanup(stopServerHelper)
	tests := []struct {
		name   string
		flags  byte
		cmd    string
		fields string
		body   string
		want   string
	}{
		{"ping", 0, "ping", `{"id": 1}`, "", "ok"},
		{"no token", 1, "ping", `{"id": 1}`, "", "unauthorized"},
		{"colour without #", 0, "set_layer_color", `{"layer": "1/0", "color": "ff8000"}`, "", "ok"},
		{"lyipc echoes a CR", flagLyipc, "", "bogus \r ACK", "", "ERR"},
		{"cell without a name", 0, "cell", `{}`, "", "bad_request"},
		{"cell named by a number", 0, "cell", `{"name": 5}`, "", "bad_request"},
		{"cell named by a lone surrogate", 0, "cell", `{"name": "\ud800"}`, "", "bad_request"},
		{"root with a NUL", 0, "ping", `{"root": "@ROOT/\u0000"}`, "", "ok"},
		{"root with a lone surrogate", 0, "ping", `{"root": "@ROOT/\ud800"}`, "", "ok"},
		{"path with a lone surrogate", 0, "load", `{"path": "@ROOT/\ud800.gds"}`, "", "not_allowed"},
		{"image path with a lone surrogate", 0, "save_image", `{"path": "\ud800.png"}`, "", "not_allowed"},
		{"removed cell name that is no UTF-8", flagGzip, "load", `{"path": "@ROOT/chip.gds", "base": "s1", "cells": 3, "dbu": 1e-9, "removed": ["\ud800"], "payload": {"size": @SIZE, "sha256": "@SHA", "kind": "partial"}}`, "cells", "bad_request"},
		{"layer properties that are no UTF-8", 0, "load", `{"path": "@ROOT/chip.gds", "layer_properties": "\udcff"}`, "", "bad_request"},
		{"quit with force as a string", flagDirty, "quit", `{"force": "false"}`, "", "bad_request"},
		{"quit with force as a number", flagDirty, "quit", `{"force": 0}`, "", "bad_request"},
		{"colour #-1", 0, "set_layer_color", `{"layer": "1/0", "color": "#-1"}`, "", "bad_request"},
		{"colour out of range", 0, "set_layer_color", `{"layer": "1/0", "color": "#1ffffffff"}`, "", "bad_request"},
		{"colour as a number", 0, "set_layer_color", `{"layer": "1/0", "color": 255}`, "", "bad_request"},
		{"note that is no UTF-8", 0, "note", `{"text": "\ud800 \u0000"}`, "", "ok"},
		{"note shown for 10^308 seconds", 0, "note", `{"text": "x", "seconds": 1e308}`, "", "bad_request"},
		{"note shown for -1 seconds", 0, "note", `{"text": "x", "seconds": -1}`, "", "bad_request"},
		{"note shown for a day", 0, "note", `{"text": "x", "seconds": 86400}`, "", "ok"},
		{"zoom to a number too large for a float", 0, "zoom", `{"box": [0, 0, 1, 1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000]}`, "", "bad_request"},
		{"layer shown on visible \"false\"", 0, "set_layer_visible", `{"layer": "1/0", "visible": "false"}`, "", "bad_request"},
		{"layer hidden on visible null", 0, "set_layer_visible", `{"layer": "1/0", "visible": null}`, "", "bad_request"},
		{"layer named by a number", 0, "set_layer_visible", `{"layer": 1}`, "", "bad_request"},
		{"report database path 0 lists them", 0, "rdb", `{"path": 0}`, "", "not_allowed"},
		{"client gone before its payload's end", 0, "load", `{"path": "@ROOT/chip.gds", "payload": {"size": 100, "sha256": "@SHA"}}`, "GDS", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, res := serveRequest(t, tt.flags, tt.cmd, []byte(tt.fields), nil, []byte(tt.body))
			checkServed(t, tt.flags, line, res)
			if tt.want == "" {
				if len(res.Replies) != 0 || !res.Pending {
					t.Errorf("%q: replies %q, pending %v; want none, pending", line, res.Replies, res.Pending)
				}
				return
			}
			if len(res.Replies) != 1 {
				t.Fatalf("%q: %d replies, want 1", line, len(res.Replies))
			}
			got, _, _ := strings.Cut(res.Replies[0], " ")
			if res.Kind != "text" {
				var r struct {
					OK   bool   `json:"ok"`
					Code string `json:"code"`
				}
				if err := json.Unmarshal([]byte(res.Replies[0]), &r); err != nil {
					t.Fatal(err)
				}
				got = r.Code
				if r.OK {
					got = "ok"
				}
			}
			if got != tt.want {
				t.Errorf("%q: reply %q, want %s", line, res.Replies[0], tt.want)
			}
		})
	}
}

// sandbox is the folders and token of a running fuzz_server.py.
type sandbox struct {
	Base    string `json:"base"`
	Root    string `json:"root"`    // the project root the server allows
	Outside string `json:"outside"` // allowed to no one
	Images  string `json:"images"`  // the server's image folder
	Token   string `json:"token"`
}

// served is what fuzz_server.py says about one request.
type served struct {
	Replies    []string        `json:"replies"`
	Kind       string          `json:"kind"` // json, klive, text, malformed or blank
	TokenOK    bool            `json:"token_ok"`
	ID         json.RawMessage `json:"id"` // the id a reply must carry
	Pending    bool            `json:"pending"`
	Closed     bool            `json:"closed"`
	Calls      []string        `json:"calls"` // what reached KLayout
	Violations []string        `json:"violations"`
}

// serverHelper is a running testdata/fuzz_server.py.
type serverHelper struct {
	cmd    *exec.Cmd
	in     *os.File // its stdin
	out    *os.File // its stdout
	stderr testsupport.Buffer
	box    sandbox
}

// The helper of this test process: started by the first request, shared by
// every fuzz input after it, stopped by the test's cleanup (or by its
// stdin's end when the process goes).
var serverHelperState struct {
	sync.Mutex
	h *serverHelper
}

func startServerHelper() (*serverHelper, error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	h := &serverHelper{in: inW, out: outR}
	h.cmd = exec.Command(py, "-B", "testdata/fuzz_server.py", "server.py")
	h.cmd.Stdin, h.cmd.Stdout, h.cmd.Stderr = inR, outW, &h.stderr
	err = h.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	hello, err := h.read()
	if err == nil {
		err = json.Unmarshal(hello, &h.box)
	}
	if err != nil {
		h.stop()
		return nil, fmt.Errorf("fuzz_server.py did not start: %v\n%s", err, h.stderr.String())
	}
	return h, nil
}

// helperTimeout bounds one exchange: a request takes milliseconds.
const helperTimeout = 20 * time.Second

func (h *serverHelper) read() ([]byte, error) {
	if err := h.out.SetReadDeadline(time.Now().Add(helperTimeout)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(h.out, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 64<<20 {
		return nil, fmt.Errorf("a reply of %d bytes", size)
	}
	data := make([]byte, size)
	_, err := io.ReadFull(h.out, data)
	return data, err
}

// exchange sends one request and returns fuzz_server.py's answer: its
// facts, or "CRASH " or "VIOLATION " and a traceback.
func (h *serverHelper) exchange(flags byte, line, body []byte) (res *served, crash string, err error) {
	frame := []byte{flags}
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(line)))
	frame = append(frame, line...)
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(body)))
	frame = append(frame, body...)
	if err := h.in.SetWriteDeadline(time.Now().Add(helperTimeout)); err != nil {
		return nil, "", err
	}
	if _, err := h.in.Write(frame); err != nil {
		return nil, "", err
	}
	data, err := h.read()
	if err != nil {
		return nil, "", err
	}
	for _, kind := range []string{"CRASH ", "VIOLATION "} {
		if _, ok := bytes.CutPrefix(data, []byte(kind)); ok {
			return nil, string(data), nil
		}
	}
	res = new(served)
	if err := json.Unmarshal(data, res); err != nil {
		return nil, "", fmt.Errorf("unreadable answer %q: %v", data, err)
	}
	return res, "", nil
}

func (h *serverHelper) stop() {
	h.in.Close()
	done := make(chan struct{})
	go func() {
		h.cmd.Wait() // it removes its sandbox when its stdin ends
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.cmd.Process.Kill()
		<-done
	}
	h.out.Close()
}

func stopServerHelper() {
	serverHelperState.Lock()
	defer serverHelperState.Unlock()
	if serverHelperState.h != nil {
		serverHelperState.h.stop()
		serverHelperState.h = nil
	}
}

// serveRequest builds a request (serverRequest) and sends it through the
// helper, starting it if need be. A helper that dies or does not answer is
// stopped, to be started again by the next request, and the test fails; so
// does a request that raised an exception the server did not answer.
func serveRequest(t testing.TB, flags byte, cmd string, fields, picks, body []byte) ([]byte, *served) {
	t.Helper()
	serverHelperState.Lock()
	defer serverHelperState.Unlock()
	h := serverHelperState.h
	if h == nil {
		var err error
		if h, err = startServerHelper(); err != nil {
			t.Fatal(err)
		}
		serverHelperState.h = h
	}
	line, sent := h.box.request(flags, cmd, fields, picks, body)
	res, crash, err := h.exchange(flags, line, sent)
	if err != nil {
		stderr := h.stderr.String()
		h.stop()
		serverHelperState.h = nil
		t.Fatalf("flags %#x, request %q: the helper died: %v\n%s", flags, line, err, stderr)
	}
	if what, trace, ok := strings.Cut(crash, " "); ok {
		why := "an exception the server did not answer (the client would wait for ever)"
		if what == "VIOLATION" {
			why = "KLayout got a value it cannot take"
		}
		t.Fatalf("flags %#x, request %q, body %q: %s:\n%s", flags, line, sent, why, trace)
	}
	return line, res
}

// request makes the request line and the bytes after it. Fields that start
// with "{" (after blanks) get the token and the command put first and the
// picked fields (pickedFields) last, so that fields of the same name in them
// win over the token and command, and picks over them, as JSON's last key
// does; other fields are the line as they are. Newlines become spaces: one
// request per line. The placeholders of serverSeeds are replaced; the body
// is sent gzip-compressed with flagGzip, and @SHA is its SHA-256 before
// that.
func (b sandbox) request(flags byte, cmd string, fields, picks, body []byte) (line, sent []byte) {
	sent = body
	sum := sha256.Sum256(body)
	if flags&flagGzip != 0 {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(body)
		zw.Close()
		sent = buf.Bytes()
	}
	line = bytes.ReplaceAll(fields, []byte("\n"), []byte(" "))
	if rest := bytes.TrimLeft(line, " \t\r"); len(rest) > 0 && rest[0] == '{' {
		var parts []string
		if tok := tokenField(flags&7, b.Token); tok != "" {
			parts = append(parts, `"token": `+tok)
		}
		if cmd != "" {
			c, _ := json.Marshal(cmd)
			parts = append(parts, `"cmd": `+string(c))
		}
		inner := bytes.TrimSpace(rest[1:])
		closed := len(inner) > 0 && inner[len(inner)-1] == '}'
		if closed {
			inner = bytes.TrimSpace(inner[:len(inner)-1])
		}
		if len(inner) > 0 {
			parts = append(parts, string(inner))
		}
		end := ""
		if closed {
			parts = append(parts, pickedFields(picks)...)
			end = "}"
		}
		line = []byte("{" + strings.Join(parts, ", ") + end)
	}
	for _, r := range [][2]string{
		{"@ROOT", b.Root}, {"@OUT", b.Outside}, {"@IMG", b.Images}, {"@BASE", b.Base}, {"@TOKEN", b.Token},
		{"@SIZE", strconv.Itoa(len(sent))}, {"@SHA", hex.EncodeToString(sum[:])},
	} {
		line = bytes.ReplaceAll(line, []byte(r[0]), []byte(r[1]))
	}
	return line, sent
}

// pickFields is every field of a request that server.py reads (checked by
// TestPickFieldsCoverServer), payload's own as "payload.NAME".
var pickFields = []string{
	"id", "cmd", "token", "root",
	"path", "mode", "force", "activate", "copy", "layer_properties", "lyrdb", "factories",
	"payload", "payload.size", "payload.sha256", "payload.encoding", "payload.kind",
	"removed", "base", "dbu", "cells",
	"box", "layer", "visible", "color", "name", "min", "max", "width", "height", "text", "seconds", "view",
	"gds", "keep_position",
}

// pickValues are the values a picked field takes: each field's good values
// and the other types, bounds, encodings and paths that might get past a
// check. Python's json reads NaN, Infinity and 1e400 (infinity) too.
var pickValues = []string{
	`null`, `true`, `false`, `0`, `1`, `-1`, `3`, `-5`, `2.5`, `1e-9`, `0.001`, `8192`, `8193`, `4097`, `100000`,
	`2147483648`, `1e308`, `1e400`, `-1e400`, `NaN`, `Infinity`, `1099511627776`, `123456789012345678901234567890`,
	`""`, `" "`, `"x"`, `"\u0000"`, `"\ud800"`, `"\udcff"`, `"a\nb"`, `"no"`, `"false"`, `"1"`,
	`"reload"`, `"new"`, `"replace"`, `"add"`, `"full"`, `"partial"`, `"gzip"`, `"bzip2"`,
	`"s1"`, `"A"`, `"TOP"`, `"1/0"`, `"metal"`, `"#ff8000"`, `"ff8000"`, `"#-1"`, `"#1ffffffff"`, `"0x12"`, `"#ggg"`,
	`"<layer-properties/>"`, `"@SHA"`, `@SIZE`, `"@TOKEN"`,
	`"@ROOT"`, `"@OUT"`, `"@BASE"`, `"/"`, `"@ROOT/chip.gds"`, `"@ROOT/sub/../chip.gds"`, `"@ROOT/diff.lyrdb"`,
	`"@ROOT/escape/secret.gds"`, `"@ROOT/evil.gds"`, `"@OUT/secret.gds"`, `"@OUT/notes.lyrdb"`, `"relative.gds"`,
	`"@ROOT/shot.png"`, `"shot.png"`, `"@IMG/../outside/x.png"`, `"@ROOT/escape.png"`, `"@ROOT/dangling.png"`,
	`"@ROOT/dir.png"`, `"@ROOT/loop/x.png"`, `"@ROOT/\u0000.png"`, `"@ROOT/\udcff.png"`, `"../x.png"`,
	`[]`, `[1]`, `["a"]`, `[null]`, `[0, 0, 10, 10]`, `[0, 0, 1e400, 1]`, `[0, 0, 1, "1"]`, `["A", "\ud800"]`,
	`{}`, `{"a": 1}`, `{"A_1": "A"}`, `{"size": @SIZE, "sha256": "@SHA"}`,
	`{"size": @SIZE, "sha256": "@SHA", "kind": "partial"}`, `{"size": -1}`, `{"size": 99999999}`,
	`"ping"`, `"status"`, `"load"`, `"zoom"`, `"zoom_fit"`, `"set_layer_visible"`, `"set_layer_color"`, `"cell"`,
	`"hier"`, `"save_image"`, `"quit"`, `"note"`, `"cells"`, `"rdb"`,
}

// pickedFields turns picks, pairs of bytes, into fields of a request: a
// field of pickFields and a value of pickValues each; payload's own are
// gathered into one payload object.
func pickedFields(picks []byte) []string {
	var out, payload []string
	for i := 0; i+1 < len(picks) && i < 128; i += 2 {
		name := pickFields[int(picks[i])%len(pickFields)]
		value := pickValues[int(picks[i+1])%len(pickValues)]
		if sub, ok := strings.CutPrefix(name, "payload."); ok {
			payload = append(payload, `"`+sub+`": `+value)
			continue
		}
		out = append(out, `"`+name+`": `+value)
	}
	if payload != nil {
		out = append(out, `"payload": {`+strings.Join(payload, ", ")+`}`)
	}
	return out
}

// TestPickFieldsCoverServer reads the fields server.py takes from a request
// (req.get("NAME"), "NAME" in req, load_args' flag("NAME") and
// text("NAME"), a payload's info.get("NAME")) and checks that
// FuzzServerRequest picks each, and that a request of fieldSeeds has it.
func TestPickFieldsCoverServer(t *testing.T) {
	src, err := os.ReadFile("server.py")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(req\.get\(|req\[|\b(?:flag|text)\(|info\.get\()"(\w+)"|"(\w+)" in req\b`)
	found := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		name := m[2] + m[3]
		if m[1] == "info.get(" {
			name = "payload." + name
		}
		found[name] = true
	}
	if len(found) < 30 {
		t.Fatalf("found only %d fields in server.py: %v", len(found), found)
	}
	seeded := map[string]bool{"cmd": true, "token": true} // fieldSeeds' own
	for _, s := range fieldSeeds {
		for i := 0; i < len(s.pairs); i += 2 {
			seeded[s.pairs[i]] = true
			if strings.HasPrefix(s.pairs[i], "payload.") {
				seeded["payload"] = true
			}
		}
	}
	for name := range found {
		if !slices.Contains(pickFields, name) {
			t.Errorf("server.py reads the field %q, which FuzzServerRequest never picks", name)
		}
		if !seeded[name] {
			t.Errorf("server.py reads the field %q, which no fieldSeeds request has", name)
		}
	}
}

// tokenField is the token a request carries, by variant: the server's, or
// none, or one that is not it (another, longer, shorter, of another type,
// in capitals).
func tokenField(variant byte, token string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	switch variant {
	case 0:
		return q(token)
	case 1:
		return ""
	case 2:
		other := []byte(token)
		other[0] ^= 1
		return q(string(other))
	case 3:
		return q(token + "0")
	case 4:
		return q(token[:len(token)-1])
	case 5:
		return "null"
	case 6:
		return "[" + q(token) + "]"
	default:
		return q(strings.ToUpper(token))
	}
}

// pythonErrors are the exceptions that, named in an error reply without a
// code, mean a field's type or value was not checked.
var pythonErrors = []string{"TypeError", "AttributeError", "KeyError", "IndexError", "OverflowError",
	"UnicodeEncodeError", "UnicodeDecodeError", "UnicodeError", "ZeroDivisionError", "RecursionError",
	"NameError", "UnboundLocalError", "AssertionError", "MemoryError"}

// checkServed judges fuzz_server.py's facts about one request.
func checkServed(t testing.TB, flags byte, line []byte, res *served) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("flags %#x, request %q: %s\nreplies %q\nreached KLayout: %q", flags, line,
			fmt.Sprintf(format, args...), res.Replies, res.Calls)
	}
	for _, v := range res.Violations {
		fail("%s", v)
	}
	switch {
	case res.Kind == "blank" && len(res.Replies) != 0:
		fail("a blank line was answered")
	case res.Kind != "blank" && !res.Pending && len(res.Replies) != 1:
		fail("%d replies, want 1", len(res.Replies))
	case len(res.Replies) > 1:
		fail("%d replies, want at most 1", len(res.Replies))
	}
	open := false // served to anyone
	switch res.Kind {
	case "json", "malformed":
		for _, r := range res.Replies {
			checkJSONReply(t, fail, r, res)
		}
	case "klive":
		open = flags&flagKlive != 0 && flags&flagRemote == 0
		for _, r := range res.Replies {
			var rep struct {
				Version *string `json:"version"`
				Error   *string `json:"error"`
				Type    *string `json:"type"`
				File    *string `json:"file"`
			}
			if err := json.Unmarshal([]byte(r), &rep); err != nil || rep.Version == nil ||
				(rep.Error == nil) == (rep.Type == nil || rep.File == nil) {
				fail("klive reply %q is not klive's", r)
			}
			if !open && rep.Error == nil {
				fail("klive served while switched off or to another machine")
			}
		}
	case "text":
		open = flags&flagLyipc != 0 && flags&flagRemote == 0
		for _, r := range res.Replies {
			ack, err := strings.HasPrefix(r, "ACK "), strings.HasPrefix(r, "ERR ")
			if !ack && !err || strings.ContainsAny(r, "\r\n") {
				fail("lyipc reply %q is not one ACK or ERR line", r)
			}
			if ack && !open {
				fail("lyipc served while switched off or to another machine")
			}
		}
		if len(res.Replies) > 0 && !res.Closed {
			fail("the connection stays open after a lyipc reply")
		}
	}
	if len(res.Calls) > 0 && !open && !(res.Kind == "json" && res.TokenOK) {
		fail("reached KLayout without the token")
	}
}

// checkJSONReply checks one reply of lywatch's protocol: {"id", "ok":
// true, "result": {...}} or {"id", "ok": false, "error": "...", "code"},
// the request's id, and, for a request without the token, refused.
func checkJSONReply(t testing.TB, fail func(string, ...any), r string, res *served) {
	t.Helper()
	var rep map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r), &rep); err != nil {
		fail("reply %q is not a JSON object: %v", r, err)
	}
	var ok bool
	if err := json.Unmarshal(rep["ok"], &ok); err != nil {
		fail("reply %q: ok is not true or false", r)
	}
	if !sameJSON(rep["id"], res.ID) {
		fail("reply %q: id is not the request's, %s", r, res.ID)
	}
	var code, msg string
	if ok {
		var result map[string]json.RawMessage
		if err := json.Unmarshal(rep["result"], &result); err != nil || result == nil {
			fail("reply %q: ok without a result object", r)
		}
	} else {
		if err := json.Unmarshal(rep["error"], &msg); err != nil || msg == "" {
			fail("reply %q: an error without a message", r)
		}
		if c, there := rep["code"]; there {
			if err := json.Unmarshal(c, &code); err != nil || code == "" {
				fail("reply %q: code is not a string", r)
			}
		}
		name, _, _ := strings.Cut(msg, ":")
		if code == "" && (slices.Contains(pythonErrors, name) || strings.Contains(msg, "null byte")) {
			fail("reply %q: an unchecked field (a Python %s)", r, name)
		}
	}
	if res.Kind == "malformed" && (ok || code != "bad_request") {
		fail("a malformed request answered %q", r)
	}
	if res.Kind == "json" && !res.TokenOK && (ok || code != "unauthorized" && code != "bad_request") {
		fail("a request without the token answered %q", r)
	}
}

// sameJSON reports whether two JSON values are equal (a missing one is null).
func sameJSON(a, b json.RawMessage) bool {
	decode := func(m json.RawMessage) (any, error) {
		if len(m) == 0 {
			return nil, nil
		}
		d := json.NewDecoder(bytes.NewReader(m))
		d.UseNumber()
		var v any
		err := d.Decode(&v)
		return v, err
	}
	va, errA := decode(a)
	vb, errB := decode(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}
