package gds

import (
	"encoding/binary"
	"math"
)

// This file holds the conversions between record data and Go values: the
// GDSII 8-byte real, big-endian integers and NUL-padded strings.

// real8ToFloat converts a GDSII 8-byte real (sign bit, 7-bit base-16 exponent
// excess 64, 56-bit mantissa) to the nearest float64.
func real8ToFloat(b []byte) float64 {
	u := binary.BigEndian.Uint64(b)
	mant := u & (1<<56 - 1)
	if mant == 0 {
		return 0
	}
	exp := int((u >> 56) & 0x7f)
	v := math.Ldexp(float64(mant), 4*(exp-64)-56)
	if u>>63 != 0 {
		v = -v
	}
	return v
}

// floatToReal8 converts f to a GDSII 8-byte real. Every float64 whose
// magnitude lies within the real's range (about 5.4e-79 to 7.2e75) converts
// exactly; smaller magnitudes lose bits or become zero, larger ones saturate.
// NaN becomes zero.
func floatToReal8(f float64) uint64 {
	if f == 0 || math.IsNaN(f) {
		return 0
	}
	var sign uint64
	if f < 0 {
		sign = 1 << 63
		f = -f
	}
	if math.IsInf(f, 0) {
		return sign | 0x7f<<56 | (1<<56 - 1)
	}
	frac, e := math.Frexp(f)          // f = frac * 2^e, frac in [0.5, 1)
	m := uint64(math.Ldexp(frac, 53)) // 53-bit integer mantissa, exact
	e2 := e - 53                      // f = m * 2^e2
	s := ((e2+56)%4 + 4) % 4          // shift that makes the exponent a multiple of 4
	exp := (e2-s+56)/4 + 64           // f = (m<<s) * 2^(4*(exp-64)-56)
	mant := m << uint(s)              // in [2^52, 2^56)
	switch {
	case exp > 127:
		return sign | 0x7f<<56 | (1<<56 - 1)
	case exp < 0:
		shift := uint(-exp) * 4
		if shift >= 56 {
			return 0
		}
		mant >>= shift
		exp = 0
	}
	return sign | uint64(exp)<<56 | mant
}

// putReal8 appends f as an 8-byte real to b.
func appendReal8(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(b, floatToReal8(f))
}

func int16At(b []byte, i int) int16 { return int16(binary.BigEndian.Uint16(b[2*i:])) }

func int32At(b []byte, i int) int32 { return int32(binary.BigEndian.Uint32(b[4*i:])) }

// trimString strips the NUL padding (and any trailing NULs) from string data.
func trimString(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}
