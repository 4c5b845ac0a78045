package gds

import (
	"encoding/binary"
	"math/bits"
)

// digest128 is a fast 128-bit non-cryptographic digest of a stream of 64-bit
// words, used for single shapes and instances; the cell hashes built from the
// sorted digests are SHA-256. Two independent lanes, each a
// multiply-and-fold (128-bit product, high xor low) per word.
type digest128 struct{ a, b, n uint64 }

const (
	dk0 = 0xa0761d6478bd642f
	dk1 = 0xe7037ed1a0b428db
	dk2 = 0x8ebc6af09c88c6e3
	dk3 = 0x589965cc75374cc3
	dk4 = 0x1d8e4e27c47d124f
)

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func newDigest(tag uint64) digest128 {
	d := digest128{a: dk0, b: dk2}
	d.word(tag)
	return d
}

func (d *digest128) word(w uint64) {
	d.a = mum(d.a^w^dk4, dk1)
	d.b = mum(d.b^bits.RotateLeft64(w, 29)^dk0, dk3)
	d.n++
}

func (d *digest128) point(p Point) {
	d.word(uint64(uint32(p.X))<<32 | uint64(uint32(p.Y)))
}

// bytes adds a byte string: its length, then its bytes in 8-byte words.
func (d *digest128) bytes(s string) {
	d.word(uint64(len(s)))
	for len(s) >= 8 {
		d.word(binary.LittleEndian.Uint64([]byte(s[:8])))
		s = s[8:]
	}
	if len(s) > 0 {
		var buf [8]byte
		copy(buf[:], s)
		d.word(binary.LittleEndian.Uint64(buf[:]))
	}
}

// sum64 returns the digest as two words.
func (d *digest128) sum64() (uint64, uint64) {
	a := mum(d.a^d.n, dk0^dk3)
	b := mum(d.b^a, dk2^dk1)
	a = mum(a^b, dk4)
	return a, b
}

// sum returns the digest as 16 bytes.
func (d *digest128) sum() [16]byte {
	a, b := d.sum64()
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], a)
	binary.BigEndian.PutUint64(out[8:], b)
	return out
}
