package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// racyWindow is how recent a file's modification time may be, when it is
// hashed, for its stat data to be trusted later. A file written within this
// window of its hashing could change again within the same timestamp tick
// without its stat data changing, so its entry is stored uncached (Size -1)
// and every Validate rehashes it until it is saved again.
const racyWindow = time.Second

// parallelMin is the number of files from which hashing runs in parallel.
const parallelMin = 32

// stat is the part of a file's stat data kept in the stat cache.
type stat struct {
	size    int64
	mtimeNS int64
	inode   uint64
}

// matches reports whether a stat equals the cached one in f.
func (s stat) matches(f *File) bool {
	return f.Size >= 0 && s.size == f.Size && s.mtimeNS == f.MtimeNS && (f.Inode == 0 || s.inode == f.Inode)
}

// HashFiles hashes the files at the given root-relative, slash-separated
// paths under root and returns their entries with the stat cache filled, in
// the order given. Each file is stat'ed before and after it is read; a file
// that changed while being read, or was modified within a second of being
// hashed, gets Size -1 so Validate never trusts its stat data. Many files are
// hashed in parallel. A missing file is an error naming it.
func HashFiles(ctx context.Context, root string, paths []string) ([]File, error) {
	out := make([]File, len(paths))
	err := forEach(ctx, len(paths), func(i int, buf []byte) error {
		f, err := hashFile(root, paths[i], buf)
		out[i] = f
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// hashFile hashes one root-relative file and fills its stat cache. The
// stat data is taken before the content is read, so any later write moves
// the modification time away from the recorded one, unless it falls in the
// same timestamp tick: files modified within racyWindow of now are
// therefore recorded with Size -1 (never trusted).
func hashFile(root, rel string, buf []byte) (File, error) {
	p := filepath.Join(root, filepath.FromSlash(rel))
	sum, st, err := readHash(p, buf)
	if err != nil {
		return File{}, fmt.Errorf("session: hash %s: %w", rel, err)
	}
	entry := File{Path: rel, SHA256: hex.EncodeToString(sum[:]), Size: st.size, MtimeNS: st.mtimeNS, Inode: st.inode}
	if time.Since(time.Unix(0, st.mtimeNS)) < racyWindow {
		entry.Size = -1
	}
	return entry, nil
}

// hashRest hashes what is left of r after the first bytes already read.
func hashRest(first []byte, r io.Reader, buf []byte) ([sha256.Size]byte, error) {
	h := sha256.New()
	h.Write(first)
	if _, err := io.CopyBuffer(h, r, buf); err != nil {
		return [sha256.Size]byte{}, err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum, nil
}

// forEach runs fn for 0..n-1, on several goroutines when n is large, each
// with its own read buffer. It stops at the first error or when ctx ends.
func forEach(ctx context.Context, n int, fn func(i int, buf []byte) error) error {
	workers := 1
	if n >= parallelMin {
		workers = min(runtime.GOMAXPROCS(0), n)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	take := func() int {
		i := int(next.Add(1) - 1)
		if i >= n || (i%64 == 0 && ctx.Err() != nil) {
			return -1
		}
		return i
	}
	for range workers {
		wg.Go(func() {
			buf := make([]byte, 128<<10)
			for i := take(); i >= 0; i = take() {
				if err := fn(i, buf); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// RefreshFiles returns files (sorted by Path) with the given root-relative
// paths hashed again: changed ones updated, new ones added, vanished ones
// dropped. Call it with a cycle's changed files before the build runs, so
// the manifest saved after the build records what the build read (a file
// edited during the build then differs at the next start, never the
// reverse).
func RefreshFiles(ctx context.Context, root string, files []File, paths []string) ([]File, error) {
	byPath := make(map[string]File, len(files)+len(paths))
	for _, f := range files {
		byPath[f.Path] = f
	}
	fresh := make([]File, len(paths))
	gone := make([]bool, len(paths))
	err := forEach(ctx, len(paths), func(i int, buf []byte) error {
		f, err := hashFile(root, paths[i], buf)
		if errors.Is(err, fs.ErrNotExist) {
			gone[i] = true
			return nil
		}
		fresh[i] = f
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, p := range paths {
		if gone[i] {
			delete(byPath, p)
		} else {
			byPath[p] = fresh[i]
		}
	}
	out := make([]File, 0, len(byPath))
	for _, f := range byPath {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
