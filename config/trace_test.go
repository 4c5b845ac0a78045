package config

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/tracing"
)

func TestTraceSettings(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "lywatch.toml", "command = [\"make\"]\ntrace_frames = 10\ntrace_bytes = 5000\n")
	c := Default()
	if c.TraceFrames != DefaultTraceFrames || c.TraceBytes != DefaultTraceBytes {
		t.Errorf("defaults %d, %d", c.TraceFrames, c.TraceBytes)
	}
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if c.TraceFrames != 10 || c.TraceBytes != 5000 {
		t.Errorf("from the file: %d, %d", c.TraceFrames, c.TraceBytes)
	}
	c, err := Parse([]string{"--config", p, "--trace-frames", "0", "--", "make"}, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.TraceFrames != 0 || c.TraceBytes != 5000 {
		t.Errorf("the flag over the file: %d, %d", c.TraceFrames, c.TraceBytes)
	}
	if _, err := Parse([]string{"--no-config", "--trace-bytes", "0", "--", "make"}, dir, io.Discard); err == nil || !strings.Contains(err.Error(), "trace_bytes") {
		t.Errorf("--trace-bytes 0: %v", err)
	}
}

func TestTraceSettingErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		text string
		line int
		msg  string
	}{
		{"[tool.lywatch]\ncommand = \"make\"\n\ntrace_frames = -1\n", 4, "trace_frames: -1"},
		{"[tool.lywatch]\ntrace_bytes = 0\n", 2, "trace_bytes: 0"},
		{"[tool.lywatch]\ntrace_frames = \"many\"\n", 2, "trace_frames"},
	}
	for _, tt := range tests {
		p := writeFile(t, t.TempDir(), "pyproject.toml", tt.text)
		err := Default().LoadFile(p)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: got %v, want line %d with %q", tt.text, err, tt.line, tt.msg)
		}
	}
}

// The bounds' defaults are the tracing package's own (config imports it in
// tests only).
func TestTraceDefaultsAgree(t *testing.T) {
	if DefaultTraceFrames != tracing.DefaultFrames || DefaultTraceBytes != tracing.DefaultBytes {
		t.Errorf("config's trace defaults %d, %d; the channel's %d, %d", DefaultTraceFrames, DefaultTraceBytes, tracing.DefaultFrames, tracing.DefaultBytes)
	}
}
