// Package watcher reports which files under a set of directories really changed.
//
// A Watcher walks its roots, watches every directory with fsnotify (or polls
// when asked to, or when the inotify watch limit is reached), filters paths
// through include and exclude globs, .gitignore files and built-in ignores,
// waits for a short resettable quiet window, and then confirms every
// candidate by the SHA-256 of its content. What comes out of Changes is a
// ChangeSet: only paths whose content differs from the last known content,
// each with its kind and its old and new hash. A save with the same bytes, a
// touch, an editor's swap file or a file the build writes produce nothing.
//
// While it runs, a Watcher takes more: Track gives it files to watch
// whatever the globs and ignore rules say (the data files the code reads,
// inside the roots or not), AddRoot another directory tree to watch like
// the roots (an editable install's checkout).
//
// The package knows nothing of what the files mean or what is done with the
// change sets.
package watcher
