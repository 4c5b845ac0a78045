//go:build !linux

package session

import (
	"crypto/sha256"
	"os"
)

// statPath stats p.
func statPath(p string) (stat, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return stat{}, err
	}
	return statOf(fi), nil
}

// readHash stats and hashes the file at p.
func readHash(p string, buf []byte) ([sha256.Size]byte, stat, error) {
	f, err := os.Open(p)
	if err != nil {
		return [sha256.Size]byte{}, stat{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return [sha256.Size]byte{}, stat{}, err
	}
	sum, err := hashRest(nil, f, buf)
	return sum, statOf(fi), err
}

// statOf takes the stat cache's part of fi.
func statOf(fi os.FileInfo) stat {
	return stat{size: fi.Size(), mtimeNS: fi.ModTime().UnixNano(), inode: inodeOf(fi)}
}
