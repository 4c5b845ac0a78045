package klayout_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

// TestServerHardened is issue 16's points 1, 2 and 14 against one real
// KLayout: requests that crashed it, another local user, and idle
// connections. Every subtest ends by checking that the same KLayout still
// answers.
func TestServerHardened(t *testing.T) {
	g := testsupport.KLayoutGUI(t, testsupport.GUIOptions{Macro: klayout.ServerMacro(),
		Env: []string{"LYWATCH_LYIPC=1", "LYWATCH_IDLE_TIMEOUT=2", "LYWATCH_MAX_PAYLOAD=65536"}})
	dir := t.TempDir()
	v1, _ := makeLayouts(t, dir)
	c := &ipc.Client{Addr: g.Addr, Token: g.Token, Timeout: 20 * time.Second, Root: dir}
	pid := g.PID()
	alive := func(t *testing.T) {
		t.Helper()
		st, err := c.Status(ctxT(t, 10*time.Second))
		for end := time.Now().Add(10 * time.Second); err != nil && strings.Contains(err.Error(), "too many connections") && time.Now().Before(end); {
			time.Sleep(50 * time.Millisecond) // until an idle connection is closed
			st, err = c.Status(ctxT(t, 10*time.Second))
		}
		if err != nil || st.PID != pid {
			t.Fatalf("KLayout (pid %d) does not answer any more: %+v, %v\n%s", pid, st, err, g.Output())
		}
	}
	push(t, c, v1, ipc.PushOptions{})

	t.Run("image sizes are bounded (16.1)", func(t *testing.T) {
		img := filepath.Join(dir, "x.png")
		for _, wh := range [][2]any{{-5, -5}, {0, 10}, {100000, 100000}, {math.MaxInt32 + 1, 1}, {5000, 5000}, {1.5, 10}, {"10", 10}} {
			err := c.Call(ctxT(t, 30*time.Second), ipc.CmdSaveImage, map[string]any{"path": img, "width": wh[0], "height": wh[1]}, nil)
			var se *ipc.ServerError
			if !errors.As(err, &se) || se.Code != ipc.CodeBadRequest {
				t.Errorf("save_image %v×%v: %v, want a bad_request error", wh[0], wh[1], err)
			}
			alive(t)
		}
		for _, box := range [][]any{{"a", 0, 1, 1}, {0, 0, 1}} {
			if err := c.Call(ctxT(t, 10*time.Second), ipc.CmdZoom, map[string]any{"box": box}, nil); err == nil {
				t.Errorf("zoom %v accepted", box)
			}
		}
		if err := c.Call(ctxT(t, 10*time.Second), ipc.CmdHier, map[string]any{"max": -1}, nil); err == nil {
			t.Error("hier max -1 accepted")
		}
		if _, err := os.Stat(img); err == nil {
			t.Errorf("%s written by a refused request", img)
		}
		if err := c.SaveImage(ctxT(t, 30*time.Second), img, 64, 48); err != nil {
			t.Errorf("a bounded image: %v", err)
		}
		alive(t)
	})

	t.Run("another local user gets nothing (16.2)", func(t *testing.T) {
		asNobody := nobody(t)
		secret := filepath.Join(t.TempDir(), "private")
		if err := os.MkdirAll(secret, 0o700); err != nil {
			t.Fatal(err)
		}
		victim := filepath.Join(secret, "secret.gds")
		copyFile(t, v1, victim)
		os.Chmod(victim, 0o600)
		bashrc := filepath.Join(g.Home, ".bashrc")
		os.WriteFile(bashrc, []byte("# mine\n"), 0o644)
		shared := filepath.Join(os.TempDir(), "lywatch-stolen-"+strconv.Itoa(os.Getpid())+".png")
		defer os.Remove(shared)

		out := asNobody(`
import json, socket, sys
addr, victim, shared, bashrc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
host, port = addr.rsplit(":", 1)
def ask(req):
    s = socket.create_connection((host, int(port)), timeout=20)
    s.sendall((json.dumps(req) + "\n").encode())
    return json.loads(s.makefile().readline())
for i, req in enumerate([
    {"cmd": "load", "path": victim},
    {"cmd": "status"},
    {"cmd": "save_image", "path": shared, "width": 100, "height": 100},
    {"cmd": "save_image", "path": bashrc, "width": 10, "height": 10},
    {"cmd": "load", "path": victim + ".missing"},
    {"cmd": "status", "token": "0" * 64},
]):
    req["id"] = i
    print(json.dumps(ask(req)))
`, g.Addr, victim, shared, bashrc)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 6 {
			t.Fatalf("as uid 65534: %q", out)
		}
		for i, l := range lines {
			rep, err := ipc.ParseReply([]byte(l))
			if err != nil || rep.OK || rep.Code != ipc.CodeUnauthorized {
				t.Errorf("request %d as uid 65534 answered %s, want unauthorized", i, l)
			}
			if strings.Contains(l, "TOP") || strings.Contains(l, "secret") {
				t.Errorf("reply %d gives something away: %s", i, l)
			}
		}
		if _, err := os.Stat(shared); err == nil {
			t.Errorf("%s was written", shared)
		}
		if b, _ := os.ReadFile(bashrc); string(b) != "# mine\n" {
			t.Errorf("~/.bashrc overwritten: %q", b)
		}
		if !strings.Contains(g.Output(), "refused a 'load' request from 127.0.0.1") {
			t.Errorf("KLayout's log does not name the refused request:\n%s", g.Output())
		}
		// lyipc, unauthenticated by nature, is confined to the folders that
		// authenticated clients allowed: a private file and a missing one
		// get the same answer.
		out = asNobody(`
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
for p in sys.argv[2:]:
    s = socket.create_connection((host, int(port)), timeout=20)
    s.sendall(("load " + p + "\r\n").encode())
    print(s.makefile().readline().strip())
`, g.Addr, victim, filepath.Join(secret, "missing.gds"))
		got := strings.Split(strings.TrimSpace(out), "\n")
		if len(got) != 2 || !strings.HasPrefix(got[0], "ERR ") ||
			strings.Replace(got[0], victim, "PATH", 1) != strings.Replace(got[1], filepath.Join(secret, "missing.gds"), "PATH", 1) {
			t.Errorf("lyipc load of an unreadable and a missing file: %q, want the same ERR", got)
		}
		if st, _ := c.Status(ctxT(t, 10*time.Second)); st != nil && st.File == victim {
			t.Errorf("the private file was opened")
		}
		alive(t)
	})

	t.Run("missing and not allowed answer alike with a token too (16.2)", func(t *testing.T) {
		other := t.TempDir() // never sent as a root
		outside := filepath.Join(other, "outside.gds")
		copyFile(t, v1, outside)
		noRoot := &ipc.Client{Addr: g.Addr, Token: g.Token, Root: filepath.Join(dir, "sub"), Timeout: 10 * time.Second}
		var msgs []string
		for _, p := range []string{outside, filepath.Join(other, "missing.gds"), "/etc/shadow"} {
			err := noRoot.Call(ctxT(t, 10*time.Second), ipc.CmdLoad, map[string]any{"path": p}, nil)
			var se *ipc.ServerError
			if !errors.As(err, &se) || se.Code != ipc.CodeNotAllowed {
				t.Fatalf("load %s: %v, want not_allowed", p, err)
			}
			msgs = append(msgs, strings.Replace(se.Msg, p, "PATH", 1))
		}
		if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
			t.Errorf("answers differ: %q", msgs)
		}
		for _, p := range []string{filepath.Join(g.Home, ".bashrc"), filepath.Join(other, "x.png"), filepath.Join(dir, "x.txt")} {
			err := noRoot.Call(ctxT(t, 10*time.Second), ipc.CmdSaveImage, map[string]any{"path": p, "width": 10, "height": 10}, nil)
			var se *ipc.ServerError
			if !errors.As(err, &se) || se.Code != ipc.CodeNotAllowed {
				t.Errorf("save_image %s: %v, want not_allowed", p, err)
			}
		}
		alive(t)
	})

	t.Run("payloads: checked, bounded, and the server keeps serving", func(t *testing.T) {
		raw, err := os.ReadFile(v1)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Push(ctxT(t, 20*time.Second), filepath.Join(dir, "sent.gds"), ipc.PushOptions{Data: raw})
		if err != nil || res.Type != "open" || res.Source != filepath.Join(dir, "sent.gds") || res.File == res.Source || res.Sent == 0 {
			t.Fatalf("push with bytes: %+v, %v", res, err)
		}
		res, err = c.Push(ctxT(t, 20*time.Second), filepath.Join(dir, "sent.gds"), ipc.PushOptions{Data: raw})
		if err != nil || res.Type != "reload" {
			t.Errorf("second push with bytes: %+v, %v; want a reload of the same copy", res, err)
		}
		info, body, err := ipc.EncodePayload(raw, ipc.PayloadFull)
		if err != nil {
			t.Fatal(err)
		}
		big := bytes.Repeat([]byte{7}, 100_000)
		bad := info
		bad.SHA256 = strings.Repeat("0", 64)
		garbage := ipc.Payload{Size: 5000, SHA256: info.SHA256, Encoding: "gzip", Kind: ipc.PayloadFull}
		cases := []struct {
			name  string
			token string
			info  ipc.Payload
			body  []byte
			code  string
		}{
			{"over the limit", g.Token, ipc.Payload{Size: int64(len(big)), SHA256: info.SHA256, Encoding: "gzip", Kind: ipc.PayloadFull}, big, ipc.CodeTooLarge},
			{"no token", "", info, body, ipc.CodeUnauthorized},
			{"wrong checksum", g.Token, bad, body, ipc.CodeBadPayload},
			{"not gzip", g.Token, garbage, big[:5000], ipc.CodeBadPayload},
		}
		conn, err := net.Dial("tcp", g.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(conn)
		for i, tc := range cases {
			p := tc.info
			line, _ := json.Marshal(ipc.Request{ID: uint64(i + 1), Cmd: ipc.CmdLoad, Token: tc.token, Payload: &p,
				Args: map[string]any{"path": filepath.Join(dir, "x.gds")}})
			conn.Write(append(append(line, '\n'), tc.body...))
			reply, err := ipc.ReadLine(br, ipc.MaxReplySize)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			rep, err := ipc.ParseReply(reply)
			if err != nil || rep.OK || rep.Code != tc.code {
				t.Errorf("%s: %s, want code %s", tc.name, reply, tc.code)
			}
		}
		// The same connection still serves.
		line, _ := json.Marshal(ipc.Request{ID: 99, Cmd: ipc.CmdStatus, Token: g.Token})
		conn.Write(append(line, '\n'))
		reply, err := ipc.ReadLine(br, ipc.MaxReplySize)
		if rep, perr := ipc.ParseReply(reply); err != nil || perr != nil || !rep.OK {
			t.Errorf("status after the refused payloads: %s, %v", reply, err)
		}
		alive(t)
	})

	t.Run("malformed load requests: an error each, nothing shown, and the server serves on", func(t *testing.T) {
		raw, err := os.ReadFile(v1)
		if err != nil {
			t.Fatal(err)
		}
		info, body, err := ipc.EncodePayload(raw, ipc.PayloadPartial)
		if err != nil {
			t.Fatal(err)
		}
		partial := func(fields map[string]any) map[string]any {
			m := map[string]any{"path": v1, "base": "s", "removed": []string{}, "cells": 1, "dbu": 1e-9, "payload": info}
			for k, v := range fields {
				m[k] = v
			}
			return m
		}
		withPayload := func(p map[string]any) map[string]any {
			m := map[string]any{"size": info.Size, "sha256": info.SHA256, "encoding": "gzip", "kind": "full"}
			for k, v := range p {
				m[k] = v
			}
			return map[string]any{"path": v1, "payload": m}
		}
		names := make([]any, 20000)
		for i := range names {
			names[i] = "cell_" + strconv.Itoa(i)
		}
		names[len(names)-1] = 7
		huge := make([]string, 120000) // over the 1 MiB a request line may hold
		for i := range huge {
			huge[i] = "mmi1x2_W0p5_" + strconv.Itoa(i)
		}
		before := status(t, c)
		cases := []struct {
			name   string
			fields map[string]any
			body   []byte
			code   string
		}{
			{"path of the wrong type", map[string]any{"path": 5}, nil, ipc.CodeNotAllowed},
			{"mode of the wrong type", map[string]any{"path": v1, "mode": 5}, nil, ipc.CodeBadRequest},
			{"unknown mode", map[string]any{"path": v1, "mode": "sideways"}, nil, ipc.CodeBadRequest},
			{"force as a string", map[string]any{"path": v1, "force": "yes"}, nil, ipc.CodeBadRequest},
			{"factories as a list", map[string]any{"path": v1, "factories": []string{"mmi"}}, nil, ipc.CodeBadRequest},
			{"a factory not a string", map[string]any{"path": v1, "factories": map[string]any{"a_1": 5}}, nil, ipc.CodeBadRequest},
			{"layer properties as a number", map[string]any{"path": v1, "layer_properties": 5}, nil, ipc.CodeBadRequest},
			{"a report database outside", map[string]any{"path": v1, "lyrdb": "/etc/passwd"}, nil, ipc.CodeNotAllowed},
			{"payload not an object", map[string]any{"path": v1, "payload": "x"}, nil, ipc.CodeBadRequest},
			{"empty payload", withPayload(map[string]any{"size": 0}), nil, ipc.CodeBadRequest},
			{"checksum not hex", withPayload(map[string]any{"sha256": strings.Repeat("zz", 32)}), body, ipc.CodeBadRequest},
			{"wrong checksum", withPayload(map[string]any{"sha256": strings.Repeat("0", 64)}), body, ipc.CodeBadPayload},
			{"not gzip", withPayload(nil), bytes.Repeat([]byte("x"), int(info.Size)), ipc.CodeBadPayload},
			{"unknown encoding", withPayload(map[string]any{"encoding": "base64"}), body, ipc.CodeBadRequest},
			{"unknown kind", withPayload(map[string]any{"kind": "diff"}), body, ipc.CodeBadRequest},
			{"over the payload limit", withPayload(map[string]any{"size": 100_000}), bytes.Repeat([]byte{1}, 100_000), ipc.CodeTooLarge},
			{"removed not a list", partial(map[string]any{"removed": "old_A"}), body, ipc.CodeBadRequest},
			{"20000 removed cells, one a number", partial(map[string]any{"removed": names}), body, ipc.CodeBadRequest},
			{"a removed list over the line limit", partial(map[string]any{"removed": huge}), nil, ipc.CodeTooLarge},
			{"base a number", partial(map[string]any{"base": 5}), body, ipc.CodeBadRequest},
			{"cells a string", partial(map[string]any{"cells": "3"}), body, ipc.CodeBadRequest},
			{"cells out of bounds", partial(map[string]any{"cells": int64(1) << 50}), body, ipc.CodeBadRequest},
			{"dbu a string", partial(map[string]any{"dbu": "x"}), body, ipc.CodeBadRequest},
			{"dbu zero", partial(map[string]any{"dbu": 0}), body, ipc.CodeBadRequest},
			{"copy as a string", partial(map[string]any{"copy": "yes"}), body, ipc.CodeBadRequest},
		}
		for i, tc := range cases {
			req := map[string]any{"id": i + 1, "cmd": ipc.CmdLoad, "token": g.Token, "root": dir}
			for k, v := range tc.fields {
				req[k] = v
			}
			line, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.Dial("tcp", g.Addr)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(30 * time.Second))
			conn.Write(append(append(line, '\n'), tc.body...))
			reply, err := ipc.ReadLine(bufio.NewReader(conn), ipc.MaxReplySize)
			conn.Close()
			if err != nil {
				t.Fatalf("%s: no reply: %v", tc.name, err)
			}
			rep, err := ipc.ParseReply(reply)
			if err != nil || rep.OK || rep.Code != tc.code {
				t.Errorf("%s: %.300s, want code %s", tc.name, reply, tc.code)
			}
			alive(t)
		}
		if st := status(t, c); st.Loads != before.Loads || st.File != before.File || st.Views != before.Views {
			t.Errorf("after the malformed loads: %d loads, %s in %d views; before %d, %s in %d", st.Loads, st.File, st.Views,
				before.Loads, before.File, before.Views)
		}
	})

	t.Run("connections are capped and idle ones closed (16.14)", func(t *testing.T) {
		before := rssKiB(t, pid)
		var conns []net.Conn
		defer func() {
			for _, cn := range conns {
				cn.Close()
			}
		}()
		chunk := bytes.Repeat([]byte("x"), 1<<20-16)
		refused := 0
		for range 200 {
			cn, err := net.DialTimeout("tcp", g.Addr, 5*time.Second)
			if err != nil {
				refused++
				continue
			}
			conns = append(conns, cn)
			cn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			cn.Write([]byte(`{"cmd": "status", "pad": "`))
			cn.Write(chunk)
		}
		alive(t)
		grown := rssKiB(t, pid) - before
		if grown > 64<<10 {
			t.Errorf("KLayout grew by %d MiB for 200 idle connections of 1 MiB each", grown>>10)
		}
		// At most 16 are still open: the others were refused as busy or
		// closed (the idlest go when the cap is reached).
		var open atomic.Int32
		var wg sync.WaitGroup
		for _, cn := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				_, err := io.Copy(io.Discard, cn)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					open.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := open.Load(); n > 16 {
			t.Errorf("%d of 200 connections held open, want at most 16", n)
		}
		// The others were idle for the 2 s of LYWATCH_IDLE_TIMEOUT: closed.
		cn, err := net.Dial("tcp", g.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer cn.Close()
		start := time.Now()
		cn.SetReadDeadline(time.Now().Add(20 * time.Second))
		// Read until the server closes it (a "busy" line may come first,
		// while the flood's connections are still open).
		_, err = io.Copy(io.Discard, cn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("an idle connection stayed open %v", time.Since(start))
		}
		alive(t)
	})
}

// nobody returns a function that runs a Python script as uid 65534 with
// setpriv and returns its output; it skips where that is not possible.
func nobody(t *testing.T) func(script string, args ...string) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("running as another user needs root (CI runs as root)")
	}
	sp, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv not installed (util-linux)")
	}
	return func(script string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, sp, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "python3", "-"}, args...)...)
		cmd.Stdin = strings.NewReader(script)
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("as uid 65534: %v\n%s", err, out)
		}
		return string(out)
	}
}

// rssKiB returns a process's resident set size in KiB (Linux).
func rssKiB(t *testing.T, pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
