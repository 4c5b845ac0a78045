package watcher

import (
	"errors"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// notifier is the part of fsnotify the watcher uses; tests wrap it to
// simulate a full inotify table.
type notifier interface {
	Add(dir string) error
	Remove(dir string) error
	Events() <-chan fsnotify.Event
	Errors() <-chan error
	Close() error
}

// newNotifierFunc makes a notifier; New uses newFSNotifier.
type newNotifierFunc func() (notifier, error)

type fsNotifier struct{ w *fsnotify.Watcher }

func newFSNotifier() (notifier, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return fsNotifier{w}, nil
}

func (n fsNotifier) Add(dir string) error {
	// Create, Write, Remove and Rename; Chmod-only events are of no use.
	return n.w.Add(dir)
}
func (n fsNotifier) Remove(dir string) error       { return n.w.Remove(dir) }
func (n fsNotifier) Events() <-chan fsnotify.Event { return n.w.Events }
func (n fsNotifier) Errors() <-chan error          { return n.w.Errors }
func (n fsNotifier) Close() error                  { return n.w.Close() }

// isWatchLimit reports whether err means the inotify watch table is full.
func isWatchLimit(err error) bool { return errors.Is(err, syscall.ENOSPC) }

// isInstanceLimit reports whether err means no more inotify instances.
func isInstanceLimit(err error) bool { return errors.Is(err, syscall.EMFILE) }
