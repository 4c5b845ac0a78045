package ipc

import "testing"

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"", true}, // the default address
		{"127.0.0.1:11078", true},
		{"127.1.2.3:80", true},
		{"[::1]:11078", true},
		{"[::ffff:127.0.0.1]:11078", true},
		{"localhost:11078", true},
		{"LocalHost:11078", true},
		{"10.0.0.5:11078", false},
		{"192.168.1.20:11078", false},
		{"172.17.0.1:11078", false}, // Docker's host, seen from a container
		{"[fe80::1]:11078", false},
		{"[2001:db8::1]:11078", false},
		{"0.0.0.0:11078", false},
		{"laptop:11078", false},
		{"laptop.example.com:11078", false},
		{"localhost.example.com:11078", false},
		{"127.0.0.1", false}, // no port: not an address the client dials
		{"localhost", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.addr); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestBytesModeSend: by default the layout's bytes travel only to a
// KLayout on another machine; always and never override that.
func TestBytesModeSend(t *testing.T) {
	tests := []struct {
		mode string
		addr string
		want bool
	}{
		{"auto", "127.0.0.1:11078", false},
		{"auto", "[::1]:11078", false},
		{"auto", "localhost:11078", false},
		{"", "", false},
		{"auto", "10.1.2.3:11078", true},
		{"auto", "192.168.0.7:11078", true},
		{"auto", "buildhost:11078", true},
		{"always", "127.0.0.1:11078", true},
		{"yes", "localhost:11078", true},
		{"never", "10.1.2.3:11078", false},
		{"no", "buildhost:11078", false},
	}
	for _, tt := range tests {
		m, err := ParseBytesMode(tt.mode)
		if err != nil {
			t.Fatalf("ParseBytesMode(%q): %v", tt.mode, err)
		}
		if got := m.send(tt.addr); got != tt.want {
			t.Errorf("bytes %q to %q: send %v, want %v", tt.mode, tt.addr, got, tt.want)
		}
	}
	if _, err := ParseBytesMode("sometimes"); err == nil {
		t.Error(`ParseBytesMode("sometimes") succeeded`)
	}
}
