package ipc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// fakeServer accepts connections on 127.0.0.1 and runs handle on each.
func fakeServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return l.Addr().String()
}

// jsonServer answers each request line with reply(request).
func jsonServer(t *testing.T, reply func(req map[string]any) string) string {
	return fakeServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := ReadLine(br, MaxReplySize)
			if err != nil {
				return
			}
			var req map[string]any
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			dec.Decode(&req)
			fmt.Fprint(c, reply(req))
		}
	})
}

func TestNoServer(t *testing.T) {
	addr := testsupport.FreeAddr(t)
	for _, p := range []Protocol{ProtoLywatch, ProtoLyipc, ProtoKlive} {
		c := &Client{Addr: addr, Protocol: p, Timeout: time.Second}
		_, err := c.Push(context.Background(), "x.gds", PushOptions{})
		if !errors.Is(err, ErrNoServer) {
			t.Errorf("%v: push to nothing: %v, want ErrNoServer", p, err)
		}
		want := "no KLayout listening on " + addr + ", run 'lywatch klayout start'"
		if err == nil || err.Error() != want {
			t.Errorf("%v: message %q, want %q", p, err, want)
		}
	}
}

func TestReplyErrors(t *testing.T) {
	silent := fakeServer(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n'); time.Sleep(2 * time.Second) })
	hangup := fakeServer(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n') })
	tests := []struct {
		name  string
		proto Protocol
		addr  string
		check func(error) bool
		want  string
	}{
		{"json error reply", ProtoLywatch, jsonServer(t, func(req map[string]any) string {
			return fmt.Sprintf(`{"id": %v, "ok": false, "error": "ValueError: no such file"}`+"\n", req["id"])
		}), isServerError, "no such file"},
		{"error reply without id", ProtoLywatch, jsonServer(t, func(map[string]any) string {
			return `{"id": null, "ok": false, "error": "malformed request"}` + "\n"
		}), isServerError, "malformed request"},
		{"malformed json", ProtoLywatch, jsonServer(t, func(map[string]any) string { return "hello\n" }),
			func(err error) bool { return errors.Is(err, ErrMalformedReply) }, "hello"},
		{"bad result", ProtoLywatch, jsonServer(t, func(req map[string]any) string {
			return fmt.Sprintf(`{"id": %v, "ok": true, "result": {"type": 5}}`+"\n", req["id"])
		}), func(err error) bool { return errors.Is(err, ErrMalformedReply) }, "result"},
		{"silent json", ProtoLywatch, silent, isTimeout, "no reply in time"},
		{"hang up", ProtoLywatch, hangup, func(err error) bool { return err != nil }, "closed before a reply"},
		{"lyipc ERR", ProtoLyipc, fakeServer(t, func(c net.Conn) {
			bufio.NewReader(c).ReadString('\n')
			fmt.Fprint(c, "ERR Traceback: boom\r\n")
		}), isServerError, "boom"},
		{"lyipc garbage", ProtoLyipc, fakeServer(t, func(c net.Conn) {
			bufio.NewReader(c).ReadString('\n')
			fmt.Fprint(c, "WHAT\r\n")
		}), func(err error) bool { return errors.Is(err, ErrMalformedReply) }, "WHAT"},
		{"lyipc silent", ProtoLyipc, silent, isTimeout, "no reply in time"},
		{"klive error", ProtoKlive, fakeServer(t, func(c net.Conn) {
			bufio.NewReader(c).ReadString('\n')
			fmt.Fprint(c, `{"version": "1", "error": "cannot read"}`)
		}), isServerError, "cannot read"},
		{"klive says nothing", ProtoKlive, hangup, func(err error) bool { return err != nil }, "closed before a reply"},
		{"klive silent", ProtoKlive, silent, isTimeout, "no reply in time"},
	}
	for _, tt := range tests {
		c := &Client{Addr: tt.addr, Protocol: tt.proto, Timeout: 300 * time.Millisecond}
		_, err := c.Push(context.Background(), "/tmp/x.gds", PushOptions{})
		if err == nil || !tt.check(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func isServerError(err error) bool {
	var se *ServerError
	return errors.As(err, &se)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestPushRequests(t *testing.T) {
	got := make(chan string, 10)
	lyw := jsonServer(t, func(req map[string]any) string {
		line := fmt.Sprintf("%v %v %v", req["cmd"], req["path"], req["mode"])
		rdb := ""
		if req["lyrdb"] != nil {
			line += fmt.Sprintf(" %v", req["lyrdb"])
			rdb = `, "rdb": {"index": 0, "items": 3, "categories": [{"name": "1/0", "items": 3}]}`
		}
		got <- line
		// Someone else's reply first: the client skips it.
		return `{"id": 1, "ok": true, "result": {}}` + "\n" +
			fmt.Sprintf(`{"id": %v, "ok": true, "result": {"type": "reload", "file": "/a b.gds", "cell": "TOP", "view": 0, "load_ms": 12.5%s}}`+"\n", req["id"], rdb)
	})
	lyipc := fakeServer(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		got <- strings.TrimRight(line, "\r\n")
		fmt.Fprint(c, "ACK ok\r\n")
	})
	klive := fakeServer(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		got <- strings.TrimSpace(line)
		fmt.Fprint(c, `{"version": "0.3", "klayout_version": "0.30.1", "type": "reload", "file": "/a b.gds"}`)
	})
	tests := []struct {
		proto Protocol
		addr  string
		opt   PushOptions
		want  string
	}{
		{ProtoLywatch, lyw, PushOptions{}, "load /a b.gds reload"},
		{ProtoLywatch, lyw, PushOptions{NewView: true}, "load /a b.gds new"},
		{ProtoLywatch, lyw, PushOptions{Mode: ModeReplace}, "load /a b.gds replace"},
		{ProtoLywatch, lyw, PushOptions{RDB: "/d.lyrdb"}, "load /a b.gds reload /d.lyrdb"},
		{ProtoLyipc, lyipc, PushOptions{}, `load "/a b.gds"`},
		{ProtoLyipc, lyipc, PushOptions{NewView: true}, `load "/a b.gds" 1`},
		{ProtoKlive, klive, PushOptions{}, `{"gds":"/a b.gds","keep_position":true}`},
		{ProtoKlive, klive, PushOptions{NewView: true}, `{"gds":"/a b.gds","keep_position":false}`},
		{ProtoKlive, klive, PushOptions{RDB: "/d.lyrdb"}, `{"gds":"/a b.gds","keep_position":true,"lyrdb":"/d.lyrdb"}`},
	}
	for _, tt := range tests {
		c := &Client{Addr: tt.addr, Protocol: tt.proto, Timeout: 2 * time.Second}
		res, err := c.Push(context.Background(), "/a b.gds", tt.opt)
		if err != nil {
			t.Errorf("%v %+v: %v", tt.proto, tt.opt, err)
			continue
		}
		if g := <-got; g != tt.want {
			t.Errorf("%v %+v: server got %q, want %q", tt.proto, tt.opt, g, tt.want)
		}
		if res.Protocol != tt.proto || res.File != "/a b.gds" {
			t.Errorf("%v: result %+v", tt.proto, res)
		}
		if tt.proto == ProtoLywatch && (res.Type != "reload" || res.Cell != "TOP" || res.Load != 12500*time.Microsecond) {
			t.Errorf("lywatch result %+v", res)
		}
		if wantRDB := tt.proto == ProtoLywatch && tt.opt.RDB != ""; wantRDB != (res.RDB != nil) || wantRDB && res.RDB.Items != 3 {
			t.Errorf("%v %+v: report database %+v", tt.proto, tt.opt, res.RDB)
		}
	}
}

func TestContextCancel(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn) { bufio.NewReader(c).ReadString('\n'); time.Sleep(3 * time.Second) })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := (&Client{Addr: addr}).Status(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("status with a cancelled context: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestParseProtocol(t *testing.T) {
	for _, p := range []Protocol{ProtoLywatch, ProtoLyipc, ProtoKlive} {
		got, err := ParseProtocol(p.String())
		if err != nil || got != p {
			t.Errorf("ParseProtocol(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParseProtocol("http"); err == nil {
		t.Error("ParseProtocol(http) succeeded")
	}
}
