package watcher_test

import (
	"context"
	"fmt"
	"log"
	"os/signal"
	"syscall"
	"time"

	"github.com/lywatch/lywatch/watcher"
)

// A watcher for the Python sources of a PDK checkout that never reports the
// layout the build writes. Each change set holds only files whose content
// really changed.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	w, err := watcher.New(watcher.Options{
		Roots:    []string{"."},
		Exclude:  []string{"docs/**"},
		Debounce: 5 * time.Millisecond,
		Logf:     log.Printf,
	})
	if err != nil {
		log.Fatal(err)
	}
	w.IgnorePath("build/chip.gds")
	fmt.Println(len(w.Hashes()), "files tracked")
	go func() { _ = w.Run(ctx) }()
	for cs := range w.Changes() { // closed when Run returns
		for _, c := range cs.Changes {
			fmt.Printf("%s %s %.8s -> %.8s\n", c.Kind, c.Path, c.OldHash, c.NewHash)
		}
	}
}

// The watcher starts first, so that nothing saved while the dependency
// graph loads is lost; then it takes what the graph found that the globs
// miss: the checkout of a package installed in editable mode, and the data
// files the code reads.
func ExampleWatcher_Track() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	w, err := watcher.New(watcher.Options{Roots: []string{"."}})
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = w.Run(ctx) }()
	// ... the graph loads ...
	if err := w.AddRoot("../my_pdk"); err != nil {
		log.Print(err)
	}
	if err := w.Track([]string{"pdk/gds/mmi.gds", "pdk/tapers.csv"}); err != nil {
		log.Print(err) // the paths it could not take; the others are tracked
	}
	for cs := range w.Changes() {
		fmt.Println(cs.Paths())
	}
}
