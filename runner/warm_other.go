//go:build !unix

package runner

import "errors"

// startProc fails: warm workers need Unix (a socket pair passed to the
// worker); the builds are run on their own instead.
func (w *Worker) startProc(spec *warmSpec, env []string, label, driver string) (*workerProc, error) {
	return nil, errors.New("warm workers are not supported on this system")
}

// interrupt is not used where startProc fails.
func (p *workerProc) interrupt() error { return errors.New("not supported") }

// signalAll is not used where startProc fails.
func signalAll(pids []int, kill bool) {}
