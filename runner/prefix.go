package runner

import (
	"bufio"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/fatih/color"
)

// prefixer writes a build's output line by line, each line behind the
// label ("[build] "), stdout lines to one writer and stderr lines to the
// other; a lock, shared by every build of a Runner, keeps lines whole.
type prefixer struct {
	mu             *sync.Mutex
	stdout, stderr io.Writer
	outTag, errTag string
	lastOut        string // the last line with text on stdout
	lastErr        string // and on stderr
}

func newPrefixer(mu *sync.Mutex, stdout, stderr io.Writer, label string, on bool) *prefixer {
	o := color.New(color.FgCyan)
	e := color.New(color.FgMagenta)
	setColor(o, on)
	setColor(e, on)
	tag := "[" + label + "] "
	return &prefixer{mu: mu, stdout: stdout, stderr: stderr, outTag: o.Sprint(tag), errTag: e.Sprint(tag)}
}

// start copies the build's two pipes, closing each at its end; the channel
// is closed once both have reached EOF.
func (p *prefixer) start(outR, errR *os.File) <-chan struct{} {
	done := make(chan struct{})
	var copying sync.WaitGroup
	copying.Add(2)
	for _, f := range []struct {
		r     *os.File
		isErr bool
	}{{outR, false}, {errR, true}} {
		go func() {
			defer copying.Done()
			p.copy(f.r, f.isErr)
			f.r.Close()
		}()
	}
	go func() {
		copying.Wait()
		close(done)
	}()
	return done
}

// copy reads r until EOF and writes each line with the prefix. A last line
// without a newline is written with one.
func (p *prefixer) copy(r io.Reader, isErr bool) {
	eachLine(r, func(line []byte, complete bool) { p.write(isErr, line, complete) })
}

// eachLine reads r until EOF and calls f with each line, newline included;
// complete is false for a last line without one and for each piece of a
// line longer than the read buffer.
func eachLine(r io.Reader, f func(line []byte, complete bool)) {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			f(line, err == nil)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return
		}
	}
}

// write writes one line behind its tag. complete is false for a last line
// without a newline and for a piece of a line longer than the read buffer;
// it gets a newline, so each piece is a prefixed line of its own.
func (p *prefixer) write(isErr bool, line []byte, complete bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := strings.TrimSpace(string(line)); t != "" {
		if isErr {
			p.lastErr = t
		} else {
			p.lastOut = t
		}
	}
	w, tag := p.stdout, p.outTag
	if isErr {
		w, tag = p.stderr, p.errTag
	}
	buf := make([]byte, 0, len(tag)+len(line)+1)
	buf = append(buf, tag...)
	buf = append(buf, line...)
	if !complete {
		buf = append(buf, '\n')
	}
	w.Write(buf)
}

// lastLine returns the last line with text the build printed on stderr
// (where a traceback goes), else on stdout. The two streams are read side
// by side, so which of them printed last is not known.
func (p *prefixer) lastLine() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr != "" {
		return p.lastErr
	}
	return p.lastOut
}

// abandon sends whatever is read from now on to nothing, and writes msg
// (a whole line) on stderr: after it returns, the prefixer no longer
// writes to the build's streams.
func (p *prefixer) abandon(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.stderr, msg)
	p.stdout, p.stderr = io.Discard, io.Discard
}
