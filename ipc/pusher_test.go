package ipc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/lywatch/lywatch/internal/testsupport"
)

// silentServer accepts connections, reads what comes and never replies,
// like a KLayout stuck in a modal dialog. It reports each connection.
func silentServer(t *testing.T) (addr string, accepted <-chan struct{}) {
	t.Helper()
	got := make(chan struct{}, 16)
	addr = fakeServer(t, func(c net.Conn) {
		got <- struct{}{}
		br := bufio.NewReader(c)
		for {
			if _, err := br.ReadByte(); err != nil {
				return
			}
		}
	})
	return addr, got
}

// TestPushNeverStallsOnASilentKLayout: a server that accepts and never
// replies costs a push its timeout, and the next push cancels it at once
// (issue 16, point 7).
func TestPushNeverStallsOnASilentKLayout(t *testing.T) {
	l := &Layout{Path: "/tmp/x.gds"}
	tok := testsupport.RandomToken(t)

	t.Run("the timeout bounds one push", func(t *testing.T) {
		addr, accepted := silentServer(t)
		p := NewPusher(PusherOptions{Targets: func() []string { return []string{addr} }, Timeout: 200 * time.Millisecond, Token: tok})
		start := time.Now()
		_, err := p.Push(context.Background(), l)
		<-accepted
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("push to a silent server: %v, want a timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("push took %v with a 200 ms timeout", d)
		}
	})

	t.Run("the next push cancels the one running", func(t *testing.T) {
		addr, accepted := silentServer(t)
		p := NewPusher(PusherOptions{Targets: func() []string { return []string{addr} }, Timeout: time.Minute, Token: tok})
		first := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := p.Push(context.Background(), l)
			first <- err
		}()
		<-accepted // the first push is waiting for its reply
		go p.Push(context.Background(), l)
		select {
		case err := <-first:
			if !errors.Is(err, ErrSuperseded) || !errors.Is(err, context.Canceled) {
				t.Errorf("superseded push: %v, want ErrSuperseded and context.Canceled", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the superseded push returned after %v", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the first push was not cancelled by the second")
		}
	})

	t.Run("the caller's context cancels", func(t *testing.T) {
		addr, accepted := silentServer(t)
		p := NewPusher(PusherOptions{Targets: func() []string { return []string{addr} }, Timeout: time.Minute, Token: tok})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-accepted; cancel() }()
		if _, err := p.Push(ctx, l); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled push: %v", err)
		}
	})
}

func TestPusherNoServer(t *testing.T) {
	a, b := testsupport.FreeAddr(t), testsupport.FreeAddr(t)
	p := NewPusher(PusherOptions{Targets: func() []string { return []string{a, b} }, Token: testsupport.RandomToken(t)})
	rep, err := p.Push(context.Background(), &Layout{Path: "/tmp/x.gds"})
	if !errors.Is(err, ErrNoServer) || len(rep.Targets) != 2 {
		t.Errorf("push to two addresses with nothing listening: %v (%d reports), want ErrNoServer", err, len(rep.Targets))
	}
}

// TestPusherPushesToEveryTarget: with several targets (a repeated
// --klayout), each KLayout gets the push and the note, and the summary
// names each.
func TestPusherPushesToEveryTarget(t *testing.T) {
	type got struct{ addr, cmd, path, text string }
	reqs := make(chan got, 16)
	server := func(name string) string {
		return jsonServer(t, func(req map[string]any) string {
			path, _ := req["path"].(string)
			text, _ := req["text"].(string)
			cmd, _ := req["cmd"].(string)
			reqs <- got{name, cmd, path, text}
			return fmt.Sprintf(`{"id": %v, "ok": true, "result": {"type": "open", "file": %q, "instance": %q}}`+"\n",
				req["id"], path, name)
		})
	}
	a, b := server("a"), server("b")
	p := NewPusher(PusherOptions{Targets: func() []string { return []string{a, b} }, Token: testsupport.RandomToken(t), Timeout: 5 * time.Second})
	rep, err := p.Push(context.Background(), &Layout{Path: "/tmp/chip.gds"})
	if err != nil || len(rep.Targets) != 2 {
		t.Fatalf("push to two KLayouts: %+v, %v", rep, err)
	}
	for i, want := range []string{a, b} {
		if tr := rep.Targets[i]; tr.Addr != want || tr.Type != "open" || tr.Err != nil {
			t.Errorf("target %d: %+v, want %s opened", i, tr, want)
		}
	}
	if s, want := rep.Summary(), a+": open; "+b+": open"; s != want {
		t.Errorf("summary %q, want %q", s, want)
	}
	if err := p.Note(context.Background(), "the build failed"); err != nil {
		t.Fatal(err)
	}
	seen := map[got]bool{}
	for range 4 {
		select {
		case g := <-reqs:
			seen[g] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d requests arrived: %v", len(seen), seen)
		}
	}
	for _, name := range []string{"a", "b"} {
		if !seen[got{name, CmdLoad, "/tmp/chip.gds", ""}] || !seen[got{name, CmdNote, "", "the build failed"}] {
			t.Errorf("KLayout %s did not get the push and the note: %v", name, seen)
		}
	}
}
