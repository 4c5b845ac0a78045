// Command probe drives the watcher package the way lywatch's loop does, for
// the benchmarks under bench/watch: it watches a tree and, for every change
// set, runs a command through sh -c (waiting for it) and, with -v, prints
// the set on stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/lywatch/lywatch/watcher"
)

func main() {
	var (
		dir      = flag.String("watch", ".", "directory to watch")
		debounce = flag.Duration("debounce", 0, "quiet window (0: default)")
		poll     = flag.Bool("poll", false, "poll instead of fsnotify")
		verbose  = flag.Bool("v", false, "print change sets on stderr")
		stamp    = flag.String("stamp", "", "append a nanosecond timestamp to this file when a change set arrives")
	)
	flag.Parse()
	if err := run(*dir, *debounce, *poll, *verbose, *stamp, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func run(dir string, debounce time.Duration, poll, verbose bool, stamp string, cmd []string) error {
	var stamps *os.File
	if stamp != "" {
		f, err := os.OpenFile(stamp, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		stamps = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	w, err := watcher.New(watcher.Options{
		Roots: []string{dir}, Debounce: debounce, Poll: poll,
		Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "probe: "+f+"\n", a...) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "probe: watching %d files (start-up %v)\n", len(w.Hashes()), time.Since(start).Round(time.Millisecond))
	go func() { _ = w.Run(ctx) }()
	for cs := range w.Changes() {
		if stamps != nil {
			fmt.Fprintf(stamps, "%d\n", time.Now().UnixNano())
		}
		if verbose {
			for _, c := range cs.Changes {
				fmt.Fprintf(os.Stderr, "probe: %s %s\n", c.Kind, c.Path)
			}
		}
		if len(cmd) > 0 {
			c := exec.CommandContext(ctx, "sh", "-c", cmd[0])
			c.Stdout, c.Stderr = os.Stdout, os.Stderr
			_ = c.Run()
		}
	}
	return nil
}
