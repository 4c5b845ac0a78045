package runner

import (
	"bufio"
	"io"
	"sync"

	"github.com/fatih/color"
)

// prefixer writes a build's output line by line, each line behind the
// label ("[build] "), stdout lines to one writer and stderr lines to the
// other; a lock keeps lines of the two streams whole.
type prefixer struct {
	mu             sync.Mutex
	stdout, stderr io.Writer
	outTag, errTag string
}

func newPrefixer(stdout, stderr io.Writer, label string, on bool) *prefixer {
	o := color.New(color.FgCyan)
	e := color.New(color.FgMagenta)
	setColor(o, on)
	setColor(e, on)
	tag := "[" + label + "] "
	return &prefixer{stdout: stdout, stderr: stderr, outTag: o.Sprint(tag), errTag: e.Sprint(tag)}
}

// copy reads r until EOF and writes each line with the prefix. A last line
// without a newline is written with one.
func (p *prefixer) copy(r io.Reader, isErr bool) {
	w, tag := p.stdout, p.outTag
	if isErr {
		w, tag = p.stderr, p.errTag
	}
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			p.write(w, tag, line, err == nil)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return
		}
	}
}

// write writes one line behind tag. complete is false for a last line
// without a newline and for a piece of a line longer than the read buffer;
// it gets a newline, so each piece is a prefixed line of its own.
func (p *prefixer) write(w io.Writer, tag string, line []byte, complete bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	buf := make([]byte, 0, len(tag)+len(line)+1)
	buf = append(buf, tag...)
	buf = append(buf, line...)
	if !complete {
		buf = append(buf, '\n')
	}
	w.Write(buf)
}
