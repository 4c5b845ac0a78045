// Command wake measures how much slower a fixed CPU job (about 1 ms when
// hot) runs right after the process slept, as a watcher does between saves.
// On a virtual machine whose idle vCPUs are descheduled or clocked down,
// this floor is added to every tool's save-to-build latency in
// bench/watch/latency.sh.
package main

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"time"
)

// work is a fixed CPU job of about 1 ms when hot.
func work() {
	b := make([]byte, 1<<20)
	for i := 0; i < 3; i++ {
		sha256.Sum256(b)
	}
}

func main() {
	for _, gap := range []time.Duration{0, 500 * time.Millisecond} {
		var ds []time.Duration
		for i := 0; i < 12; i++ {
			time.Sleep(gap)
			t := time.Now()
			work()
			ds = append(ds, time.Since(t))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("gap %v: median %v, min %v, max %v\n", gap, ds[6], ds[0], ds[11])
	}
}
