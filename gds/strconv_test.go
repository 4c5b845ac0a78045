package gds

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestReal8(t *testing.T) {
	tests := []struct {
		bits uint64
		f    float64
	}{
		{0x0000000000000000, 0},
		{0x4110000000000000, 1},
		{0xc110000000000000, -1},
		{0x4120000000000000, 2},
		{0x4080000000000000, 0.5},
		{0x4264000000000000, 100},
		{0x4319000000000000, 400},
		{0x3e4189374bc6a7f0, 0.001}, // as KLayout and gdsfactory write it
		{0x3944b82fa09b5a54, 1e-9},  // idem (last bit differs from the exact value)
		{0x425a000000000000, 90},
	}
	for _, tt := range tests {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], tt.bits)
		got := real8ToFloat(b[:])
		if math.Abs(got-tt.f) > 1e-15*math.Abs(tt.f) {
			t.Errorf("real8ToFloat(%016x) = %g, want %g", tt.bits, got, tt.f)
		}
	}
	// Values whose real8 is exact come back bit for bit.
	for _, f := range []float64{0, 1, -1, 2, 0.5, 100, 90, 180, 270, 1e-3, 1e-9, 1e-6, 0.1, 123456.789, -3.75, math.Pi, 5e-324 * 1e250} {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], floatToReal8(f))
		if got := real8ToFloat(b[:]); got != f {
			t.Errorf("float %v -> real8 %016x -> %v, not exact", f, floatToReal8(f), got)
		}
	}
}

func TestReal8Edges(t *testing.T) {
	if floatToReal8(math.NaN()) != 0 {
		t.Error("NaN should become 0")
	}
	if floatToReal8(1e-100) != 0 {
		t.Error("underflow should become 0")
	}
	if got := floatToReal8(math.Inf(1)); got>>56 != 0x7f {
		t.Errorf("+Inf -> %016x, want saturation", got)
	}
	if got := floatToReal8(-1e300); got>>56 != 0xff {
		t.Errorf("-1e300 -> %016x, want negative saturation", got)
	}
}

func TestInts(t *testing.T) {
	b := []byte{0xff, 0xfe, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00}
	if int16At(b, 0) != -2 || int16At(b, 1) != 1 {
		t.Error("int16At")
	}
	if int32At(b, 0) != -131071 || int32At(b, 1) != math.MinInt32 {
		t.Error("int32At")
	}
}

func TestTrimString(t *testing.T) {
	for in, want := range map[string]string{"ab\x00": "ab", "abc": "abc", "\x00\x00": "", "": ""} {
		if got := string(trimString([]byte(in))); got != want {
			t.Errorf("trimString(%q) = %q", in, got)
		}
	}
}

func TestRecordNames(t *testing.T) {
	if recXY.String() != "XY" || recLIBSECUR.String() != "LIBSECUR" || RecordType(0x70).String() != "UNKNOWN(0x70)" {
		t.Error("record names")
	}
	if recXY.DataType() != dtInt32 || recUNITS.DataType() != dtReal8 || recSTRING.DataType() != dtString {
		t.Error("record data types")
	}
	if len(recordNames) != len(recordDataTypes) {
		t.Error("tables differ in length")
	}
}

func TestParseMeta(t *testing.T) {
	tests := []struct{ in, key, val string }{
		{"META('kfactory:settings:function_name')='straight'", "kfactory:settings:function_name", "straight"},
		{"META('a')=#l2", "a", "2"},
		{"META('a')=##1.234", "a", "1.234"},
		{"META('a')=#3", "a", "3"},
		{"META('a')=[layer:1/0]", "a", "[layer:1/0]"},
		{`META('a')='it\'s'`, "a", "it's"},
		{"META('a')=nil", "a", ""},
	}
	for _, tt := range tests {
		k, v, ok := parseMeta(tt.in)
		if !ok || k != tt.key || v != tt.val {
			t.Errorf("parseMeta(%q) = %q, %q, %v", tt.in, k, v, ok)
		}
	}
	if _, _, ok := parseMeta("LIB=Basic"); ok {
		t.Error("LIB= is not META")
	}
}
