package runner

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// warmOutput shows a worker's stdout and stderr for its whole life,
// behind the build's prefix, and tells each run when all of its output has
// been shown: the driver ends a run's output with a line ending in the
// run's marker on both streams, which is not shown.
type warmOutput struct {
	p    *prefixer
	mu   sync.Mutex
	cur  *runOutput
	done <-chan struct{} // closed when both streams reached EOF
}

// runOutput is one run's output: ended[0] (stdout) and ended[1] (stderr)
// are closed when the stream's marker line has been read.
type runOutput struct {
	marker []byte // the marker and a newline
	quiet  bool   // a stopped run: its output is not shown
	ended  [2]chan struct{}
}

func newWarmOutput(p *prefixer, outR, errR *os.File) *warmOutput {
	o := &warmOutput{p: p}
	done := make(chan struct{})
	o.done = done
	var wg sync.WaitGroup
	wg.Add(2)
	for i, r := range []*os.File{outR, errR} {
		go func() {
			defer wg.Done()
			o.copy(r, i == 1)
			r.Close()
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return o
}

// begin starts a run whose output ends with marker.
func (o *warmOutput) begin(marker string) *runOutput {
	ro := &runOutput{marker: []byte(marker + "\n")}
	for i := range ro.ended {
		ro.ended[i] = make(chan struct{})
	}
	o.mu.Lock()
	o.cur = ro
	o.mu.Unlock()
	return ro
}

// hush stops showing the output of the run under way (it is being
// stopped), up to its markers.
func (o *warmOutput) hush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cur != nil {
		o.cur.quiet = true
	}
}

// ended returns a channel closed once both of the run's markers have been
// read (or the streams are gone).
func (ro *runOutput) all(streams <-chan struct{}) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		defer close(c)
		for _, e := range ro.ended {
			select {
			case <-e:
			case <-streams:
				return
			}
		}
	}()
	return c
}

func (o *warmOutput) copy(r io.Reader, isErr bool) {
	stream := 0
	if isErr {
		stream = 1
	}
	eachLine(r, func(line []byte, complete bool) { o.line(stream, line, complete) })
}

// line shows one line (or piece of one) of a stream, unless it ends with
// the run's marker: then what comes before the marker is shown as a line
// of its own and the run learns that the stream has ended.
func (o *warmOutput) line(stream int, line []byte, complete bool) {
	o.mu.Lock()
	ro := o.cur
	quiet := ro != nil && ro.quiet
	var ended chan struct{}
	if ro != nil && complete && bytes.HasSuffix(line, ro.marker) {
		line = line[:len(line)-len(ro.marker)]
		complete = false
		select {
		case <-ro.ended[stream]:
		default:
			ended = ro.ended[stream]
		}
	}
	o.mu.Unlock()
	if len(line) > 0 && !quiet {
		o.p.write(stream == 1, line, complete)
	}
	if ended != nil {
		close(ended)
	}
}
