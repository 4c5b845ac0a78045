package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/project"
	"github.com/lywatch/lywatch/session"
)

// onceBesideLoop is how `lywatch --once` runs while a live loop holds the
// session: it reads the session without the lock and builds into a folder
// of its own (pipeline.Redirect), saving nothing and pushing nothing, so
// the loop's outputs, session and KLayout are left alone.
type onceBesideLoop struct {
	proj  *project.Project // the project with its outputs redirected
	store *session.Store   // opened read-only
	dir   string           // the folder the builds write into (kept)
}

// openBesideLoop opens the session read-only after the lock was refused
// with locked, and redirects the builds into a new temporary folder.
func openBesideLoop(proj *project.Project, locked error) (*onceBesideLoop, error) {
	var le *session.LockedError
	if !errors.As(locked, &le) {
		return nil, locked
	}
	st, err := session.OpenReadOnly(proj.SessionDir, session.Options{Root: proj.Root})
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lywatch-once-")
	if err != nil {
		st.Close()
		return nil, err
	}
	redirected := pipeline.Redirect(proj, dir)
	if err := pipeline.MakeOutputDirs(redirected); err != nil {
		st.Close()
		return nil, err
	}
	return &onceBesideLoop{proj: redirected, store: st, dir: dir}, nil
}

// note is what the user is told.
func (o *onceBesideLoop) note(locked error) string {
	var le *session.LockedError
	holder := "another lywatch"
	if errors.As(locked, &le) {
		holder = fmt.Sprintf("another lywatch (pid %d)", le.Holder.PID)
	}
	return fmt.Sprintf("the session is in use by %s: reading it without the lock; building into %s, saving nothing, pushing nothing", holder, o.dir)
}
